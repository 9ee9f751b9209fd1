using static TorchSharp.torch;

namespace MMInterp.Kernels.Images;

/// <summary>
/// CLIPImageProcessor's pixels from a checkpoint's preprocessor_config.json: PIL-exact bicubic resize
/// (<see cref="PilResampler"/>), centre crop, rescale, normalise. The crop offset is torchvision's
/// (round((h - crop) / 2), half to even), as OpenAI's clip.py computes it; HF floors instead, which differs by one
/// pixel only when the excess is 3 mod 4 — the checkpoints were trained with OpenAI's pipeline.
/// </summary>
public sealed class ClipImageProcessor : IImagePreprocessor
{
    public const string FileName = "preprocessor_config.json";

    public ClipPreprocessorConfig Config { get; }

    public ClipImageProcessor(ClipPreprocessorConfig config)
    {
        Config = config.Validated();
        var (h, w) = Config.OutputSize;
        if (h != w) throw new InvalidDataException($"the preprocessor gives {h}x{w} images; a CLIP tower reads square ones");
    }

    public int OutputSize => Config.OutputSize.Height;

    /// <summary>The checkpoint's preprocessor_config.json when it has one; otherwise <see cref="ForUnnormalised"/>.</summary>
    public static ClipImageProcessor ForCheckpoint(string directory, int imageSize)
    {
        var path = Path.Combine(directory, FileName);
        return File.Exists(path) ? new ClipImageProcessor(ClipPreprocessorConfig.Load(path)) : ForUnnormalised(imageSize);
    }

    /// <summary>
    /// Our zoo checkpoints have no preprocessor config: they were trained on ShapesWorld images, unnormalised floats in
    /// [0, 1] at the tower's image size. So: shortest edge to that size, centre crop, rescale by 1/255, no normalisation.
    /// </summary>
    public static ClipImageProcessor ForUnnormalised(int imageSize) => new(new ClipPreprocessorConfig
    {
        Size = ResizeTarget.Shortest(imageSize),
        CropSize = (imageSize, imageSize),
        DoNormalize = false,
    });

    public Tensor ToPixels(IReadOnlyList<RgbImage> images)
    {
        var n = OutputSize;
        var plane = n * n;
        var data = new float[images.Count * 3L * plane];
        for (var b = 0; b < images.Count; b++)
        {
            var img = Transform(images[b]);
            var offset = b * 3L * plane;
            for (var c = 0; c < 3; c++)
            {
                var scale = Config.DoRescale ? Config.RescaleFactor : 1f;
                float mean = Config.DoNormalize ? Config.ImageMean[c] : 0f, std = Config.DoNormalize ? Config.ImageStd[c] : 1f;
                for (var i = 0; i < plane; i++)
                {
                    // As torchvision: x / 255 in float32, then (x - mean) / std.
                    var v = img.Pixels[i * 3 + c] * scale;
                    data[offset + c * plane + i] = Config.DoNormalize ? (v - mean) / std : v;
                }
            }
        }
        return tensor(data, [images.Count, 3, n, n]);
    }

    /// <summary>Resize and crop, still 8-bit (the steps PIL does before the tensor is made).</summary>
    public RgbImage Transform(RgbImage image)
    {
        var img = image;
        if (Config.DoResize)
        {
            var (h, w) = ResizedSize(img.Height, img.Width, Config.Size);
            img = PilResampler.ResizeBicubic(img, w, h);
        }
        if (Config.DoCenterCrop) img = CenterCrop(img, Config.CropSize.Height, Config.CropSize.Width);
        return img;
    }

    /// <summary>torchvision/HF: the short side becomes N, the long one int(N * long / short) (truncated).</summary>
    public static (int Height, int Width) ResizedSize(int height, int width, ResizeTarget size)
    {
        if (size.ShortestEdge is not { } n) return (size.Height!.Value, size.Width!.Value);
        // Python's int(n * long / short): a double division, truncated.
        return width <= height ? ((int)((double)n * height / width), n) : (n, (int)((double)n * width / height));
    }

    /// <summary>torchvision's CenterCrop: zero padding when the image is smaller, offsets round((size - crop) / 2).</summary>
    public static RgbImage CenterCrop(RgbImage image, int cropH, int cropW)
    {
        if (image.Width == cropW && image.Height == cropH) return image;
        var top = (int)Math.Round((image.Height - cropH) / 2.0, MidpointRounding.ToEven);
        var left = (int)Math.Round((image.Width - cropW) / 2.0, MidpointRounding.ToEven);
        if (cropH > image.Height) top = -((cropH - image.Height) / 2);
        if (cropW > image.Width) left = -((cropW - image.Width) / 2);
        var outPixels = new byte[(long)cropH * cropW * 3];
        for (var y = 0; y < cropH; y++)
        {
            var sy = y + top;
            if (sy < 0 || sy >= image.Height) continue;
            for (var x = 0; x < cropW; x++)
            {
                var sx = x + left;
                if (sx < 0 || sx >= image.Width) continue;
                Array.Copy(image.Pixels, ((long)sy * image.Width + sx) * 3, outPixels, ((long)y * cropW + x) * 3, 3);
            }
        }
        return new RgbImage(cropW, cropH, outPixels);
    }
}
