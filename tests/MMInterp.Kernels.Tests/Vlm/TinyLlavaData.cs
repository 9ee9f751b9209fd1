using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Tests.Llava;
using SkiaSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>A random tiny LLaVA in HF layout (the golden case's sizes: 32 px images, 8 px patches = a 4x4 grid, two
/// Llama layers; the llama tokeniser fixture with &lt;image&gt; = id 700) and a folder of user data beside it: PNG
/// images, a mask and data.jsonl. Deletes both on dispose.</summary>
internal sealed class TinyLlavaData : IDisposable
{
    public string ModelDir { get; }
    public string DataDir { get; }
    public string Jsonl => Path.Combine(DataDir, "data.jsonl");

    public TinyLlavaData(long seed = 3)
    {
        ModelDir = Directory.CreateTempSubdirectory("mminterp-llava-vlm-").FullName;
        DataDir = Directory.CreateTempSubdirectory("mminterp-vlm-data-").FullName;
        var golden = LlavaCheckpoint.ReadConfig(LlavaGolden.Dir("older_bf16"));
        var config = golden with { ImageTokenId = 700, Text = golden.Text with { VocabSize = 702 } };
        random.manual_seed(seed);
        using (var fresh = new LlavaForConditionalGeneration(config)) LlavaCheckpoint.Save(fresh, ModelDir);
        foreach (var f in Directory.GetFiles(LlavaGolden.TokenizerDir)) File.Copy(f, Path.Combine(ModelDir, Path.GetFileName(f)));
        // 48 wide x 40 high: resized to 38x32, centre crop 32 from x = 3 (see ObjectPatchGrid).
        WritePng("a.png", Image(48, 40, 1));
        WritePng("b.png", Image(40, 40, 2));
        var mask = new byte[40 * 40 * 3];
        for (var y = 20; y < 40; y++) for (var x = 20; x < 40; x++) mask[(y * 40 + x) * 3] = 255; // bottom-right quarter
        WritePng("m.png", new RgbImage(40, 40, mask));
        File.WriteAllLines(Jsonl,
        [
            """{"image": "a.png", "question": "What colour is the square?", "answer": "red", "box": [3.75, 0, 23.75, 20]}""",
            """{"image": "b.png", "question": "What shape is at the bottom right?", "answer": "circle", "mask": "m.png"}""",
            """{"image": "a.png", "question": "Is it big?", "answer": "yes"}""",
        ]);
    }

    public LoadedLlava Load() => LlavaCheckpoint.Load(ModelDir);

    static RgbImage Image(int w, int h, int seed) =>
        new(w, h, Enumerable.Range(0, w * h * 3).Select(i => (byte)((i * (7 + seed) + seed * 31) % 251)).ToArray());

    public void WritePng(string name, RgbImage image)
    {
        using var bitmap = RgbBitmaps.ToBitmap(image);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(Path.Combine(DataDir, name), data.ToArray());
    }

    public void Dispose()
    {
        Directory.Delete(ModelDir, true);
        Directory.Delete(DataDir, true);
    }
}
