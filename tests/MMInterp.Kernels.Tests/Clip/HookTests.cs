using MMInterp.Kernels.Hooks;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

public class HookTests
{
    [Fact]
    public void HookPointsHaveTransformerLensNamesForBothTowers()
    {
        using var model = TinyClip.Model(layers: 2);
        foreach (var tower in new[] { "vision", "text" })
        for (var i = 0; i < 2; i++)
        foreach (var point in new[] { "hook_resid_pre", "hook_resid_mid", "hook_resid_post", "attn.hook_z", "attn.hook_pattern", "mlp.hook_post" })
            Assert.True(model.Hooks.Contains($"{tower}.blocks.{i}.{point}"), $"{tower}.blocks.{i}.{point}");
        var e = Assert.Throws<ArgumentException>(() => model.Hooks.Add("vision.blocks.9.hook_resid_post", Hook.Zero()));
        Assert.Contains("vision.blocks.9.hook_resid_post", e.Message);
    }

    [Fact]
    public void CacheReturnsActivationsOfTheDocumentedShapes()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        using var cache = new ActivationCache();
        model.Hooks.Add(_ => true, Hook.Cache(cache));
        using (no_grad()) model.LogitsPerImage(TinyClip.Images(), TinyClip.Ids());
        model.Hooks.Clear();
        // Vision: 3 images, 1 + (8/4)^2 = 5 tokens, width 8, 2 heads of 4, MLP 16. Text: 3 texts of 7 tokens.
        Assert.Equal(new long[] { 3, 5, 8 }, cache["vision.blocks.1.hook_resid_post"].shape);
        Assert.Equal(new long[] { 3, 5, 8 }, cache["vision.blocks.0.hook_resid_pre"].shape);
        Assert.Equal(new long[] { 3, 5, 2, 4 }, cache["vision.blocks.0.attn.hook_z"].shape);
        Assert.Equal(new long[] { 3, 2, 5, 5 }, cache["vision.blocks.0.attn.hook_pattern"].shape);
        Assert.Equal(new long[] { 3, 5, 16 }, cache["vision.blocks.1.mlp.hook_post"].shape);
        Assert.Equal(new long[] { 3, 2, 7, 7 }, cache["text.blocks.1.attn.hook_pattern"].shape);
        // Attention rows are distributions, and text attention is causal.
        Assert.True(cache["vision.blocks.0.attn.hook_pattern"].sum(-1).allclose(ones(3, 2, 5)));
        Assert.Equal(0f, cache["text.blocks.0.attn.hook_pattern"].triu(1).abs().sum().item<float>());
        // resid_post of block 0 is resid_pre of block 1.
        Assert.True(Same.Values(cache["vision.blocks.0.hook_resid_post"], cache["vision.blocks.1.hook_resid_pre"]));
    }

    [Fact]
    public void ZeroAblatingOneHeadChangesTheOutputAndOnlyThatHead()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model();
        using var _ = no_grad();
        var images = TinyClip.Images();
        var clean = model.EncodeImage(images);
        using var cache = new ActivationCache();
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Zero(head: 1));
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Cache(cache));
        var ablated = model.EncodeImage(images);
        model.Hooks.Clear();
        Assert.True((ablated - clean).abs().max().item<float>() > 1e-3);
        var z = cache["vision.blocks.0.attn.hook_z"];
        Assert.Equal(0f, z.select(2, 1).abs().sum().item<float>());
        Assert.True(z.select(2, 0).abs().sum().item<float>() > 0);
        // With the hook gone the model is clean again.
        Assert.True(Same.Values(model.EncodeImage(images), clean));
    }

    [Fact]
    public void PatchingTheCleanValueBackReproducesTheCleanOutputExactly()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        using var _ = no_grad();
        var clean = TinyClip.Images(3);
        var corrupt = TinyClip.Images(4);
        using var cache = new ActivationCache();
        model.Hooks.Add("vision.blocks.1.hook_resid_pre", Hook.Cache(cache));
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Cache(cache));
        var cleanOut = model.EncodeImage(clean);
        model.Hooks.Clear();
        var corruptOut = model.EncodeImage(corrupt);
        Assert.False(corruptOut.allclose(cleanOut));

        // Whole residual stream before block 1: everything downstream is the clean run's.
        model.Hooks.Add("vision.blocks.1.hook_resid_pre", Hook.Replace(cache["vision.blocks.1.hook_resid_pre"]));
        Assert.True(Same.Values(model.EncodeImage(corrupt), cleanOut));
        model.Hooks.Clear();

        // Patching a clean run with its own value changes nothing.
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Replace(cache["vision.blocks.0.attn.hook_z"]));
        Assert.True(Same.Values(model.EncodeImage(clean), cleanOut));
        var wholeZ = model.EncodeImage(corrupt);
        model.Hooks.Clear();

        // Per head: head 0 alone moves the corrupt output; heads 0 and 1 together equal patching all of hook_z.
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Replace(cache["vision.blocks.0.attn.hook_z"], head: 0));
        var oneHead = model.EncodeImage(corrupt);
        Assert.False(oneHead.allclose(corruptOut));
        Assert.False(oneHead.allclose(wholeZ));
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Replace(cache["vision.blocks.0.attn.hook_z"], head: 1));
        Assert.True(Same.Values(model.EncodeImage(corrupt), wholeZ));
        model.Hooks.Clear();
    }

    [Fact]
    public void AddSteeringAtResidPostEqualsAManualComputation()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 1);
        using var _ = no_grad();
        var images = TinyClip.Images();
        manual_seed(5);
        var direction = randn(8);
        using var cache = new ActivationCache();
        model.Hooks.Add("vision.blocks.0.hook_resid_post", Hook.Cache(cache));
        model.EncodeImage(images);
        model.Hooks.Clear();
        model.Hooks.Add("vision.blocks.0.hook_resid_post", Hook.Add(direction * 2.5));
        var steered = model.EncodeImage(images);
        model.Hooks.Clear();
        // By hand: the last block's output plus the vector, then post_layernorm on the class token and the projection.
        var w = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        var resid = cache["vision.blocks.0.hook_resid_post"] + direction * 2.5;
        var cls = resid.select(1, 0);
        var normed = nn.functional.layer_norm(cls, [8], w["vision_model.post_layernorm.weight"], w["vision_model.post_layernorm.bias"], 1e-5);
        var expected = normed.matmul(w["visual_projection.weight"].t());
        Assert.True(steered.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void HeadIndicesAreChecked()
    {
        using var model = TinyClip.Model();
        model.Hooks.Add("vision.blocks.0.hook_resid_post", Hook.Zero(head: 0));
        var e = Assert.Throws<ArgumentException>(() => model.EncodeImage(TinyClip.Images()));
        Assert.Contains("no head dimension", e.Message);
        model.Hooks.Clear();
        model.Hooks.Add("vision.blocks.0.attn.hook_z", Hook.Zero(head: 5));
        e = Assert.Throws<ArgumentException>(() => model.EncodeImage(TinyClip.Images()));
        Assert.Contains("head 5", e.Message);
        model.Hooks.Clear();
    }
}
