using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>The goldens tests/reference/llava_reference.py wrote (OpenAI's CLIP vision tower, HF's projector formula,
/// Meta's Llama on the merged sequence): an HF LLaVA directory and golden.safetensors.</summary>
internal static class LlavaGolden
{
    public static readonly string[] Cases = ["older_bf16", "newer_list"];

    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "LlmGolden", "llava", name);

    public static string TokenizerDir => Path.Combine(AppContext.BaseDirectory, "LlmGolden", "tokenizers", "llama");

    /// <summary>input_ids [1,T] (one image token), pixel_values, image_features, logits of the merged sequence, greedy.</summary>
    public static Dictionary<string, Tensor> Outputs(string name) => SafeTensors.Load(Path.Combine(Dir(name), "golden.safetensors")).Tensors;

    public static long[] Ids(Tensor t) => t.reshape(-1).data<long>().ToArray();

    /// <summary>A copy of a case's directory to break or convert.</summary>
    public static string Copy(string name)
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-llava-").FullName;
        foreach (var f in Directory.GetFiles(Dir(name))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Xunit.Assert.Equal(expected.shape, actual.shape);
        var diff = (expected - actual).abs().max().item<float>();
        Xunit.Assert.True(diff <= tolerance, $"{what}: differs from the reference by up to {diff} (tolerance {tolerance})");
    }
}
