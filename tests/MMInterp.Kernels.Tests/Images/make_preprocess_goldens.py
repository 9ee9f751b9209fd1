#!/usr/bin/python3
"""Writes the preprocessing goldens that ClipImageProcessorTests reads: torchvision's own CLIP transform
(Resize(N, BICUBIC) on the PIL image, CenterCrop(N), ToTensor, Normalize(OpenAI mean/std)), as OpenAI's clip.py
builds it, run under Debian's python3-torchvision on real photographs and odd-size crops of them.

Usage: /usr/bin/python3 make_preprocess_goldens.py SKIMAGE_DATA_DIR [OUT_DIR]
SKIMAGE_DATA_DIR is scikit-image's data folder (Debian package python3-skimage: .../dist-packages/skimage/data),
whose photographs are public domain / CC0 (rocket.jpg: SpaceX; coffee.png: Rachel Michetti; chelsea.png:
Stefan van der Walt; camera.png: Lav Varshney). The inputs are written to OUT_DIR too (small, committed).
Each golden is OUT/<input>.n<N>.f32.gz: gzip of float32 little-endian [3, N, N]; goldens.json lists them.
"""
import gzip, json, os, shutil, sys
import numpy as np
from PIL import Image
import torch
from torchvision import transforms as T

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)

def main():
    data = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")
    os.makedirs(out, exist_ok=True)
    def src(name): return Image.open(os.path.join(data, name))
    # Real photographs as shipped, and odd sizes cut from them (PNG/BMP lossless; the 513x257 one as JPEG to keep it small).
    shutil.copy(os.path.join(data, "rocket.jpg"), os.path.join(out, "rocket.jpg"))                   # 640x427 JPEG
    src("chelsea.png").convert("RGB").save(os.path.join(out, "chelsea.webp"), quality=90)          # 451x300 lossy WebP
    src("coffee.png").convert("RGB").crop((40, 71, 40 + 513, 71 + 257)).save(os.path.join(out, "coffee_513x257.jpg"), quality=90)
    src("coffee.png").convert("RGB").crop((300, 0, 303, 400)).save(os.path.join(out, "coffee_3x400.png"))
    src("rocket.jpg").convert("RGB").crop((70, 200, 570, 203)).save(os.path.join(out, "rocket_500x3.png"))
    src("chelsea.png").convert("RGB").crop((200, 150, 201, 151)).save(os.path.join(out, "chelsea_1x1.bmp"))
    src("camera.png").crop((101, 33, 101 + 197, 33 + 311)).save(os.path.join(out, "camera_gray_197x311.png"))  # mode L
    inputs = ["rocket.jpg", "chelsea.webp", "coffee_513x257.jpg", "coffee_3x400.png", "rocket_500x3.png",
              "chelsea_1x1.bmp", "camera_gray_197x311.png"]
    # Transparency: PIL's convert("RGB") drops alpha and keeps each pixel's stored colour (our decoder must too).
    rgba = Image.new("RGBA", (3, 1))
    rgba.putdata([(200, 100, 50, 0), (10, 20, 30, 128), (1, 2, 3, 255)])
    rgba.save(os.path.join(out, "rgba_3x1.png"))
    with Image.open(os.path.join(out, "rgba_3x1.png")) as im:
        rgba_as_rgb = list(im.convert("RGB").tobytes())
    # GIF: the first frame, as PIL's open + convert("RGB") gives it.
    frames = [src("chelsea.png").convert("RGB").crop((150, 100, 170, 112)).quantize(64),
              Image.new("RGB", (20, 12), (255, 0, 0)).quantize(4)]
    frames[0].save(os.path.join(out, "chelsea_2frames.gif"), save_all=True, append_images=frames[1:], duration=100)
    with Image.open(os.path.join(out, "chelsea_2frames.gif")) as im:
        gif_first_as_rgb = list(im.convert("RGB").tobytes())
    goldens = []
    for n in (224, 37):  # the CLIP size, and an odd one
        tf = T.Compose([T.Resize(n, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(n), T.ToTensor(), T.Normalize(MEAN, STD)])
        for name in inputs:
            with Image.open(os.path.join(out, name)) as im:
                x = tf(im.convert("RGB"))
            assert tuple(x.shape) == (3, n, n), (name, x.shape)
            file = f"{name}.n{n}.f32.gz"
            with gzip.GzipFile(os.path.join(out, file), "wb", mtime=0) as f:
                f.write(x.numpy().astype("<f4").tobytes())
            goldens.append({"input": name, "size": n, "golden": file})
    with open(os.path.join(out, "goldens.json"), "w") as f:
        json.dump({"torchvision": __import__("torchvision").__version__, "pil": Image.__version__,
                   "mean": MEAN, "std": STD, "rgba_3x1_as_rgb": rgba_as_rgb, "gif_first_frame_as_rgb": gif_first_as_rgb, "goldens": goldens}, f, indent=1)
    print(f"wrote {len(goldens)} goldens to {out}")

if __name__ == "__main__":
    main()
