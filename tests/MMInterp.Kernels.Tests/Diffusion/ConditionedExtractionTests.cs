using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Diffusion;

/// <summary>The conditioning part of a timestep key chooses the text the denoiser reads during extraction through the
/// grains' model (DiffusionActivationModel), and the timestep-resolved extraction records it.</summary>
[Collection(TinyDiffusionCollection.Name)]
public class ConditionedExtractionTests(TinyDiffusionFixture tiny)
{
    const string H = "denoiser.blocks.1.hook_resid_post";

    [Fact]
    public void ACaptionedKeyExtractsTheCaptionedRunsRowsAndHalfAlternatesByImageOfTheSplit()
    {
        var model = new DiffusionActivationModel(tiny.Bundle); // not disposed: the fixture owns the bundle
        const long seed = 5, start = 3; // an odd start: "half" must follow the split's image index, not the shard's
        const int images = 6;
        string[] keys = [$"{H}@t=0.5", $"{H}@t=0.500@c=caption", $"{H}@t=0.500@c=half"];
        var rows = model.Extract(seed, start, images, keys);
        using var direct = Direct(seed, start, images, CaptionConditioning.Caption);
        using var nullDirect = Direct(seed, start, images, CaptionConditioning.Null);
        try
        {
            Assert.True(rows[keys[1]].allclose(direct, rtol: 1e-5, atol: 1e-6), "captioned rows differ from a direct captioned run");
            Assert.True(rows[keys[0]].allclose(nullDirect, rtol: 1e-5, atol: 1e-6), "null-caption rows differ from a direct null-caption run");
            var tokens = direct.shape[0] / images;
            for (var i = 0; i < images; i++)
            {
                using var captioned = rows[keys[1]].narrow(0, i * tokens, tokens);
                using var plain = rows[keys[0]].narrow(0, i * tokens, tokens);
                using var half = rows[keys[2]].narrow(0, i * tokens, tokens);
                // The same image and noise under another text: the caption must reach the residual stream.
                using var gap = (captioned - plain).abs().max();
                Assert.True(gap.item<float>() > 1e-3, $"image {start + i}: captioned and null-caption rows agree (max gap {gap.item<float>()})");
                var even = (start + i) % 2 == 0;
                Assert.True(half.allclose(even ? captioned : plain, rtol: 1e-5, atol: 1e-6), $"image {start + i}: @c=half should read it {(even ? "captioned" : "on the null caption")}");
            }
        }
        finally
        {
            foreach (var t in rows.Values) t.Dispose();
        }
    }

    [Fact]
    public void TheModelAdvertisesTheKeyFormAndRefusesABadConditioningByName()
    {
        var model = new DiffusionActivationModel(tiny.Bundle); // not disposed: the fixture owns the bundle
        Assert.Contains(TimestepKey.Template(H), model.HookNames);
        Assert.All(model.HookNames, n => Assert.EndsWith("@t=T[@c=caption|half]", n));
        var e = Assert.Throws<ArgumentException>(() => model.Extract(1, 0, 2, [$"{H}@t=0.500", $"{H}@t=0.500@c=captioned"]));
        Assert.Contains("'captioned' is not a caption conditioning", e.Message);
        Assert.Contains("@c=caption", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Extract(1, 0, 2, [$"{H}@t=0.500@c=half", $"{H}@t=0.5@c=half"]));
        Assert.Contains("name the same set", e.Message);
    }

    [Fact]
    public void ACaptionedTimestepExtractionRecordsItsConditioning()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-tsx-c-{Guid.NewGuid():N}");
        try
        {
            var sets = TimestepActivations.Extract(tiny.Bundle,
                new TimestepExtractionConfig { Hooks = [H], Timesteps = [0.5], Images = 2, Conditioning = CaptionConditioning.Caption }, dir);
            var key = new TimestepKey(H, 0.5, CaptionConditioning.Caption);
            Assert.Equal(key, Assert.Single(sets).Key);
            Assert.Equal(key, Assert.Single(TimestepActivations.ReadManifest(dir)).Key);
            Assert.Equal(key.Name, TimestepActivations.Open(dir, key).Index.HookName);
            Assert.Throws<ArgumentException>(() => TimestepActivations.Open(dir, key with { Conditioning = CaptionConditioning.Null }));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>[images * tokens, d] from TimestepActivations.Run itself, at t = 0.5.</summary>
    Tensor Direct(long seed, long start, int images, CaptionConditioning conditioning)
    {
        var parts = new List<Tensor>();
        TimestepActivations.Run(tiny.Bundle, new TimestepExtractionConfig
        {
            Hooks = [H], Timesteps = [0.5], Seed = seed, Start = start, Images = images, Conditioning = conditioning,
        }, (_, a, _) => parts.Add(a.reshape(-1, a.shape[^1]).cpu().clone().DetachFromDisposeScope()));
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
