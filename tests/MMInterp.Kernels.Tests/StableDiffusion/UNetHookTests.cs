using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Hooks;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>The U-Net's hook points on the SDXL-like golden (attention at level 1 only, two transformer layers there
/// and in the mid block): the documented names exist in forward order, patterns are distributions over keys, and
/// zeroing one head of one attention changes the prediction while a read-only hook does not.</summary>
public class UNetHookTests
{
    const string Case = "sd_unet_sdxl";

    static Tensor Run(Models.StableDiffusion.UNet2DConditionModel unet, Dictionary<string, Tensor> g)
    {
        using var _ = no_grad();
        return unet.Forward(g["sample"], g["timestep"], g["encoder_hidden_states"], g["text_embeds"], g["time_ids"]);
    }

    [Fact]
    public void TheDocumentedNamesExistInForwardOrder()
    {
        using var unet = UNetCheckpoint.Load(SdUnetGolden.Dir(Case)).Model;
        var names = unet.Hooks.Names.ToList();
        string[] expected =
        [
            "unet.hook_temb", "unet.hook_conv_in",
            "unet.down.0.resnet.0.hook_out", "unet.down.0.hook_out",
            "unet.down.1.resnet.0.hook_out",
            "unet.down.1.attn.0.blocks.0.self.hook_pattern", "unet.down.1.attn.0.blocks.0.self.hook_z",
            "unet.down.1.attn.0.blocks.0.cross.hook_pattern", "unet.down.1.attn.0.blocks.0.cross.hook_z",
            "unet.down.1.attn.0.blocks.0.mlp.hook_post", "unet.down.1.attn.0.blocks.0.hook_resid_post",
            "unet.down.1.attn.0.blocks.1.self.hook_z", "unet.down.1.attn.0.hook_out", "unet.down.1.hook_out",
            "unet.mid.resnet.0.hook_out", "unet.mid.attn.0.blocks.1.cross.hook_pattern", "unet.mid.resnet.1.hook_out", "unet.mid.hook_out",
            "unet.up.0.resnet.0.hook_out", "unet.up.0.attn.1.blocks.1.self.hook_pattern", "unet.up.0.hook_out",
            "unet.up.1.resnet.1.hook_out", "unet.up.1.hook_out", "unet.hook_out",
        ];
        foreach (var name in expected) Assert.Contains(name, names);
        var positions = expected.Select(n => names.IndexOf(n)).ToList();
        Assert.Equal(positions.OrderBy(p => p), positions);
        Assert.DoesNotContain(names, n => n.StartsWith("unet.down.0.attn", StringComparison.Ordinal) || n.StartsWith("unet.up.1.attn", StringComparison.Ordinal));
    }

    [Fact]
    public void PatternsAreDistributionsAndZ_HasOneSlicePerHead()
    {
        using var scope = NewDisposeScope();
        var g = SdUnetGolden.Load(Case);
        using var unet = UNetCheckpoint.Load(SdUnetGolden.Dir(Case)).Model;
        using var cache = new ActivationCache();
        using (unet.Hooks.Scope())
        {
            unet.Hooks.Add(n => n.EndsWith("hook_pattern", StringComparison.Ordinal) || n.EndsWith("hook_z", StringComparison.Ordinal), Hook.Cache(cache));
            Run(unet, g);
        }
        // Level 1 runs at 4x4 latents: 16 tokens, 2 heads of 16 channels; the text has 5 tokens.
        var self = cache["unet.down.1.attn.0.blocks.0.self.hook_pattern"];
        Assert.Equal(new long[] { 2, 2, 16, 16 }, self.shape);
        Assert.Equal(new long[] { 2, 2, 16, 5 }, cache["unet.down.1.attn.0.blocks.0.cross.hook_pattern"].shape);
        Assert.Equal(new long[] { 2, 16, 2, 16 }, cache["unet.mid.attn.0.blocks.1.cross.hook_z"].shape);
        Assert.True((self.sum(-1) - 1).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void HookingEveryPatternGivesTheFusedPathsOutput()
    {
        // Unhooked attention runs fused (scaled_dot_product_attention); a pattern hook materialises the softmax.
        using var scope = NewDisposeScope();
        var g = SdUnetGolden.Load(Case);
        using var unet = UNetCheckpoint.Load(SdUnetGolden.Dir(Case)).Model;
        var fused = Run(unet, g);
        using (unet.Hooks.Scope())
        {
            unet.Hooks.Add(n => n.EndsWith("hook_pattern", StringComparison.Ordinal), (x, _) => x);
            Assert.True((Run(unet, g) - fused).abs().max().item<float>() < 1e-5);
        }
    }

    [Fact]
    public void ZeroingOneHeadChangesTheOutputAndReadingDoesNot()
    {
        using var scope = NewDisposeScope();
        var g = SdUnetGolden.Load(Case);
        using var unet = UNetCheckpoint.Load(SdUnetGolden.Dir(Case)).Model;
        var clean = Run(unet, g);
        using var cache = new ActivationCache();
        using (unet.Hooks.Scope())
        {
            unet.Hooks.Add(n => !n.EndsWith("hook_pattern", StringComparison.Ordinal), Hook.Cache(cache));
            // Float tolerance, not bit equality: other tests change libtorch's thread count, and with it its sums' order.
            Assert.True((Run(unet, g) - clean).abs().max().item<float>() < 1e-5);
        }
        Assert.True((cache["unet.hook_out"] - clean).abs().max().item<float>() < 1e-5);
        using (unet.Hooks.Scope())
        {
            unet.Hooks.Add("unet.up.0.attn.0.blocks.1.cross.hook_z", Hook.Zero(head: 1));
            var ablated = Run(unet, g);
            Assert.True((ablated - clean).abs().max().item<float>() > 1e-3);
        }
        using (unet.Hooks.Scope())
        {
            unet.Hooks.Add("unet.down.1.attn.0.blocks.0.self.hook_pattern", Hook.Zero(head: 0));
            Assert.True((Run(unet, g) - clean).abs().max().item<float>() > 1e-3);
        }
        Assert.True((Run(unet, g) - clean).abs().max().item<float>() < 1e-5);
    }
}

/// <summary>Transformer2DModel hands its output back with plain [B,C,H,W] strides: a permuted view (channels-last
/// strides, or at 1x1 strides that read as both formats) sent libtorch's next GroupNorm or convolution wrong at SD 1.5's
/// widths (bench/RESULTS.md), which the 32-channel goldens did not show.</summary>
public class Transformer2DLayoutTests
{
    [Theory]
    [InlineData(4, false)]
    [InlineData(1, false)]
    [InlineData(4, true)]
    [InlineData(1, true)]
    public void OutputHasPlainStrides(int side, bool linear)
    {
        using var scope = NewDisposeScope();
        var model = new Models.StableDiffusion.Transformer2DModel(32, 4, 1, 8, linear, 8, new HookRegistry(), "t");
        using var _ = no_grad();
        var y = model.Forward(randn(2, 32, side, side), randn(2, 3, 8));
        Assert.Equal(new long[] { 32L * side * side, side * side, side, 1 }, y.stride());
    }
}
