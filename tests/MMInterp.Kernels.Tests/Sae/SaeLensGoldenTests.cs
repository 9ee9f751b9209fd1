using System.Runtime.CompilerServices;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Interchange;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>
/// Against SAELens's own code (SaeLensGolden/saelens_reference.py, run under Debian's python3-torch on SAELens 6.18):
/// directories its save_model / save_inference_model wrote import here with its encode and decode, and our exports,
/// read by its SAE.load_from_disk, encode and decode there as they do here. Only the small files are committed.
/// To regenerate: MMINTERP_WRITE_GOLDEN=1 on this class (writes exported/), then the script (writes the rest).
/// </summary>
public class SaeLensGoldenTests
{
    static readonly string Golden = Path.Combine(AppContext.BaseDirectory, "Sae", "SaeLensGolden");

    static string SourceGolden([CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "SaeLensGolden");

    static (Tensor X, Tensor Z, Tensor XHat) Outputs(string dir)
    {
        var (t, _) = SafeTensors.Load(Path.Combine(dir, "outputs.safetensors"));
        return (t["x"], t["z"], t["x_hat"]);
    }

    [Theory]
    [InlineData("standard", SaeKind.Relu)]
    [InlineData("topk", SaeKind.TopK)]
    [InlineData("jumprelu", SaeKind.JumpRelu)]
    [InlineData("batchtopk", SaeKind.JumpRelu)]
    public void WhatSaeLensWroteEncodesAndDecodesHereAsInSaeLens(string name, SaeKind kind)
    {
        using var scope = NewDisposeScope();
        var dir = Path.Combine(Golden, "written", name);
        using var imported = SaeLensImporter.Read(dir);
        Assert.Equal(kind, imported.Sae.Config.Kind);
        if (name != "batchtopk") Assert.Equal("blocks.3.hook_resid_post", imported.Config.HookName); // the trainer's save sets no hook here
        var (x, z, xHat) = Outputs(dir);
        var ours = imported.Sae.Encode(x);
        Assert.True(z.count_nonzero().item<long>() > 0);
        Assert.True((ours != 0).eq(z != 0).all().item<bool>(), $"{name}: other latents fire here than in SAELens");
        Assert.True(ours.allclose(z, rtol: 1e-5, atol: 1e-5), $"{name}: encode differs by {(ours - z).abs().max().item<float>()}");
        Assert.True(imported.Sae.Decode(ours).allclose(xHat, rtol: 1e-5, atol: 1e-5), $"{name}: decode differs");
    }

    public static TheoryData<string, SaeKind, double> Exports => new()
    {
        { "relu", SaeKind.Relu, 1.0 },
        { "topk", SaeKind.TopK, 1.0 },
        { "topk-normalised", SaeKind.TopK, 2.9 },
        { "batchtopk", SaeKind.BatchTopK, 1.0 },
        { "jumprelu", SaeKind.JumpRelu, 1.0 },
    };

    [Theory]
    [MemberData(nameof(Exports))]
    public void OurExportsEncodeAndDecodeInSaeLensAsHere(string name, SaeKind kind, double normScale)
    {
        using var scope = NewDisposeScope();
        using var sae = SaeLensInterchangeTests.RandomSae(kind, normScale, preEncoderBias: true);
        var fresh = Path.Combine(Path.GetTempPath(), $"saelens-golden-{Guid.NewGuid():N}");
        try
        {
            SaeLensExporter.Export(sae, fresh, new SaeLensProvenance("clip", "vision.blocks.1.hook_resid_post"));
            if (Environment.GetEnvironmentVariable("MMINTERP_WRITE_GOLDEN") == "1")
            {
                var target = Path.Combine(SourceGolden(), "exported", name);
                Directory.CreateDirectory(target);
                foreach (var f in new[] { "cfg.json", "sae_weights.safetensors" }) File.Copy(Path.Combine(fresh, f), Path.Combine(target, f), overwrite: true);
                return;
            }
            var dir = Path.Combine(Golden, "exported", name);
            // The committed export is what the exporter writes today, so SAELens's outputs on it speak for this code.
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "sae_weights.safetensors")), File.ReadAllBytes(Path.Combine(fresh, "sae_weights.safetensors")));
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "cfg.json")), File.ReadAllText(Path.Combine(fresh, "cfg.json")));
            var (x, z, xHat) = Outputs(dir);
            var ours = sae.Encode(x);
            Assert.True(z.count_nonzero().item<long>() > 0);
            Assert.True((ours != 0).eq(z != 0).all().item<bool>(), $"{name}: other latents fire in SAELens than here");
            Assert.True(ours.allclose(z, rtol: 1e-4, atol: 1e-5), $"{name}: encode differs by {(ours - z).abs().max().item<float>()}");
            Assert.True(sae.Decode(ours).allclose(xHat, rtol: 1e-4, atol: 1e-5), $"{name}: decode differs by {(sae.Decode(ours) - xHat).abs().max().item<float>()}");
        }
        finally
        {
            try { Directory.Delete(fresh, recursive: true); } catch (IOException) { }
        }
    }
}
