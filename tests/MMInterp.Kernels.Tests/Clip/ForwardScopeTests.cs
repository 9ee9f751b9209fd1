using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>The no-grad forward frees intermediates early; these pin down what must not change with it.</summary>
public class ForwardScopeTests
{
    [Fact]
    public void NoGradForwardEqualsTheAutogradForwardBitForBit()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 3);
        var images = TinyClip.Images();
        var ids = TinyClip.Ids();
        Tensor imageNoGrad, textNoGrad;
        using (no_grad())
        {
            imageNoGrad = model.EncodeImage(images);
            textNoGrad = model.EncodeText(ids);
        }
        var image = model.EncodeImage(images);
        var text = model.EncodeText(ids);
        Assert.True(image.requires_grad);
        Assert.True(Same.Values(image.detach(), imageNoGrad));
        Assert.True(Same.Values(text.detach(), textNoGrad));
        // Autograd still reaches the first block through the freed handles.
        image.sum().backward();
        var grad = model.VisionModel.named_parameters().First(p => p.name == "encoder.layers.0.mlp.fc1.weight").parameter.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void TensorsAHookKeepsWithoutCopyingOutliveTheForwardAsBefore()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 3);
        using var _ = no_grad();
        var kept = new Dictionary<string, Tensor>();
        using var cache = new ActivationCache();
        string[] points = ["vision.blocks.0.hook_resid_pre", "vision.blocks.1.attn.hook_z", "vision.blocks.1.attn.hook_pattern",
            "vision.blocks.1.mlp.hook_post", "vision.blocks.1.hook_resid_mid", "vision.blocks.1.hook_resid_post", "text.blocks.2.hook_resid_pre"];
        using (model.Hooks.Scope())
        {
            foreach (var p in points)
            {
                model.Hooks.Add(p, (x, point) => kept[point.Name] = x);  // the tensor itself, no copy
                model.Hooks.Add(p, Hook.Cache(cache));
            }
            model.LogitsPerImage(TinyClip.Images(), TinyClip.Ids());
        }
        foreach (var p in points)
        {
            Assert.False(kept[p].IsInvalid, $"{p} was freed under the hook's feet");
            Assert.True(Same.Values(kept[p], cache[p]), p);
        }
    }

    [Fact]
    public void ExtractedRowsDoNotDependOnTheBatchSize()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        var images = cat([TinyClip.Images(3), TinyClip.Images(4), TinyClip.Images(5)], 0); // 9 images
        string[] hooks = ["vision.blocks.1.hook_resid_post", "vision.blocks.0.attn.hook_pattern"];
        var whole = ClipActivationExtractor.Extract(model, (at, n) => images.narrow(0, at, n), 0, 9, hooks, batchSize: 9);
        var batched = ClipActivationExtractor.Extract(model, (at, n) => images.narrow(0, at, n), 0, 9, hooks, batchSize: 4);
        foreach (var h in hooks)
        {
            Assert.Equal(whole[h].shape, batched[h].shape);
            Assert.True(whole[h].allclose(batched[h], rtol: 1e-5, atol: 1e-6), h);
        }
        Assert.Equal(new long[] { 9 * 5, 8 }, whole[hooks[0]].shape);
        Assert.Equal(new long[] { 9 * 2 * 5, 5 }, whole[hooks[1]].shape);
    }

    [Fact]
    public void ExtractionStopsAtTheDeepestHookedBlockWithTheSameRows()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 3);
        var images = TinyClip.Images();
        using var cache = new ActivationCache();
        var fired = new List<string>();
        using (no_grad())
        using (model.Hooks.Scope())
        {
            model.Hooks.Add("vision.blocks.0.hook_resid_post", Hook.Cache(cache));
            model.EncodeImage(images);
        }
        using (model.Hooks.Scope())
        {
            model.Hooks.Add("vision.blocks.2.hook_resid_pre", (x, p) => { fired.Add(p.Name); return x; });
            var rows = ClipActivationExtractor.Extract(model, (at, n) => images.narrow(0, at, n), 0, 3, ["vision.blocks.0.hook_resid_post"]);
            Assert.True(Same.Values(rows["vision.blocks.0.hook_resid_post"], cache["vision.blocks.0.hook_resid_post"].reshape(-1, 8)));
        }
        Assert.Empty(fired);
        Assert.Equal(1, ClipActivationExtractor.LastBlock(["vision.blocks.0.attn.hook_z", "vision.blocks.1.hook_resid_post"], 3));
        Assert.Null(ClipActivationExtractor.LastBlock(["vision.blocks.1.hook_resid_post", "text.blocks.0.hook_resid_post"], 3));
        Assert.Null(ClipActivationExtractor.LastBlock(["vision.blocks.7.hook_resid_post"], 3));
    }
}
