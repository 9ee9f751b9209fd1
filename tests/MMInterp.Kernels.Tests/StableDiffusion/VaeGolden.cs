using MMInterp.Kernels.IO;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>What tests/reference/sd_vae_reference.py wrote from CompVis's Encoder/Decoder: a diffusers vae/ directory
/// (config.json, diffusion_pytorch_model.fp16.safetensors) and golden.safetensors (image, mean, logvar, latent,
/// decoded).</summary>
internal static class VaeGolden
{
    public const string Case = "sd_vae_small";

    public static string Dir => Path.Combine(AppContext.BaseDirectory, "LlmGolden", Case);

    /// <summary>The golden tensors by name (caller disposes).</summary>
    public static Dictionary<string, Tensor> Outputs() => SafeTensors.Load(Path.Combine(Dir, "golden.safetensors")).Tensors;

    /// <summary>A fresh copy of the golden directory whose weights are <paramref name="edit"/>ed (names, tensors) and
    /// saved as <paramref name="file"/>.</summary>
    public static string Edited(Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> edit, string file = "diffusion_pytorch_model.safetensors")
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-vae-").FullName;
        File.Copy(Path.Combine(Dir, "config.json"), Path.Combine(dir, "config.json"));
        using var scope = NewDisposeScope();
        var state = SafeTensors.Load(Path.Combine(Dir, "diffusion_pytorch_model.fp16.safetensors")).Tensors;
        SafeTensors.Save(Path.Combine(dir, file), edit(state));
        return dir;
    }

    /// <summary>Largest absolute difference within <paramref name="tolerance"/> times the reference's largest magnitude.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = Math.Max(1.0, expected.abs().max().item<float>());
        var diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= tolerance * scale, $"{what}: differs from the reference by up to {diff} (tolerance {tolerance} x {scale})");
    }
}
