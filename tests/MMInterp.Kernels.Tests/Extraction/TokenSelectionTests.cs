using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Tests.Clip;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Extraction;

/// <summary>The token selection: which rows extraction keeps (all: 1 + patches per image, patch: the patches, cls: one),
/// where an edit acts, and one-line refusals of what selects nothing.</summary>
public class TokenSelectionTests
{
    const string Block = "vision.blocks.1.hook_resid_post";

    static Dictionary<string, Tensor> Rows(ClipModel model, IReadOnlyList<string> hooks, TokenSelection tokens) =>
        ClipActivationExtractor.Extract(model, (at, n) => TinyClip.Images(seed: 3).narrow(0, 0, n), 0, 3, hooks, batchSize: 3, tokens: tokens);

    [Fact]
    public void ExtractionKeepsOneRowPerSelectedToken()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        // 8px images of 4px patches: 4 patches + the class token per image, 3 images.
        var all = Rows(model, [Block, ClipVisionTransformer.PooledHook], TokenSelection.All);
        var patch = Rows(model, [Block], TokenSelection.Patch)[Block];
        var cls = Rows(model, [Block, ClipVisionTransformer.PooledHook], TokenSelection.Cls);
        Assert.Equal(new long[] { 15, 8 }, all[Block].shape);
        Assert.Equal(new long[] { 12, 8 }, patch.shape);
        Assert.Equal(new long[] { 3, 8 }, cls[Block].shape);
        // The pooled output is one row per image, whether all or the class token is asked for.
        Assert.Equal(new long[] { 3, 8 }, all[ClipVisionTransformer.PooledHook].shape);
        Assert.True(Same.Values(all[ClipVisionTransformer.PooledHook], cls[ClipVisionTransformer.PooledHook]));
        // The rows are the same tokens: row 0 of each image is the class token, rows 1..4 its patches.
        var byImage = all[Block].view(3, 5, 8);
        Assert.True(Same.Values(cls[Block], byImage.select(1, 0)));
        Assert.True(Same.Values(patch, byImage.narrow(1, 1, 4).reshape(12, 8)));
    }

    [Fact]
    public void BadSelectionsAreRefusedInOneLine()
    {
        var bad = Assert.Throws<ArgumentException>(() => TokenSelections.Parse("patches-only"));
        Assert.Contains("all, patch, cls", bad.Message);
        Assert.DoesNotContain('\n', bad.Message);
        Assert.Equal(TokenSelection.Cls, TokenSelections.Parse("CLS"));
        Assert.Equal(TokenSelection.All, TokenSelections.Parse(null));

        using var model = TinyClip.Model(layers: 2);
        var pooled = Assert.Throws<ArgumentException>(() => Rows(model, [ClipVisionTransformer.PooledHook], TokenSelection.Patch));
        Assert.Contains("vision.hook_pooled", pooled.Message);
        Assert.DoesNotContain('\n', pooled.Message);
        var text = Assert.Throws<ArgumentException>(() => Rows(model, ["text.blocks.0.hook_resid_post"], TokenSelection.Cls));
        Assert.Contains("text.blocks.0.hook_resid_post", text.Message);
    }

    [Fact]
    public void AnEditOnTheClassTokenLeavesThePatchesAsTheyWere()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = 8, DSae = 16, Seed = 5 });
        using var _ = no_grad();
        var images = TinyClip.Images();
        var every = Enumerable.Range(0, 16).ToList();
        Tensor Steered(TokenSelection tokens)
        {
            using var cache = new Hooks.ActivationCache();
            using (model.Hooks.Scope())
            {
                model.Hooks.Add(Block, SaeSplice.Hook(sae, SpliceMode.WithError, SaeSplice.OnTokens(SaeSplice.SetTo(sae, every, every.Select(_ => 3f).ToList()), tokens, Block)));
                model.Hooks.Add(Block, Hooks.Hook.Cache(cache));
                model.VisionModel.Forward(images);
            }
            return cache[Block].clone();
        }
        Tensor bare;
        using (var cache = new Hooks.ActivationCache())
        {
            using (model.Hooks.Scope())
            {
                model.Hooks.Add(Block, Hooks.Hook.Cache(cache));
                model.VisionModel.Forward(images);
            }
            bare = cache[Block].clone();
        }
        var cls = Steered(TokenSelection.Cls);
        Assert.True((cls.narrow(1, 1, 4) - bare.narrow(1, 1, 4)).abs().max().item<float>() < 1e-5f, "patches moved under a class-token edit");
        Assert.True((cls.select(1, 0) - bare.select(1, 0)).abs().max().item<float>() > 1e-2f, "the class token did not move");
        var patch = Steered(TokenSelection.Patch);
        Assert.True((patch.select(1, 0) - bare.select(1, 0)).abs().max().item<float>() < 1e-5f, "the class token moved under a patch edit");
        Assert.True((patch.narrow(1, 1, 4) - bare.narrow(1, 1, 4)).abs().max().item<float>() > 1e-2f, "the patches did not move");
    }

    [Fact]
    public void StudiesEncodeOnlyTheSelectedTokens()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = 8, DSae = 16, Seed = 5 });
        var images = TinyClip.Images();
        var all = HookLatents.Encode(model, sae, Block, images);
        Assert.Equal(new long[] { 3, 5, 16 }, all.shape);
        // The same rows through the SAE (up to the GEMM's rounding for another row count).
        static bool Close(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.allclose(b, rtol: 1e-5, atol: 1e-6);
        Assert.True(Close(all.narrow(1, 1, 4), HookLatents.Encode(model, sae, Block, images, tokens: TokenSelection.Patch)));
        Assert.True(Close(all.narrow(1, 0, 1), HookLatents.Encode(model, sae, Block, images, tokens: TokenSelection.Cls)));
        Assert.Equal(new long[] { 3, 1, 16 }, HookLatents.Encode(model, sae, ClipVisionTransformer.PooledHook, images, tokens: TokenSelection.Cls).shape);
        // Per-image maxima (steering's calibration, the defence's ranking) are over the selected tokens.
        Assert.True(Close(all.narrow(1, 0, 1).amax(1), SaeLatents.PerImageMax(model, sae, Block, images, tokens: TokenSelection.Cls)));
    }

    [Fact]
    public void AnIndexNamesItsTokensOnlyWhenNotAll()
    {
        var shard = new ActivationShard("shard-00000.safetensors", 3, new string('a', 64));
        var all = new ActivationSetIndex { HookName = Block, D = 8, ShardRows = 3, Shards = [shard] };
        // All-token indexes keep the bytes (and hashes) they had before the option existed.
        Assert.DoesNotContain("Tokens", all.ToJson());
        var dir = Directory.CreateTempSubdirectory("mminterp-index-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, ActivationSetIndex.FileName), (all with { Tokens = TokenSelection.Cls.Stored() }).ToJson());
            Assert.Equal("cls", ActivationSetIndex.Load(dir).Tokens);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LayerListsNameBlocksAndThePooledOutput()
    {
        Assert.Equal(["vision.blocks.0.hook_resid_post", "vision.blocks.1.hook_resid_post", ClipVisionTransformer.PooledHook],
            ClipLayers.Hooks("all", 2, TokenSelection.All, out var none));
        Assert.Null(none);
        Assert.Equal(["vision.blocks.0.hook_resid_post", "vision.blocks.1.hook_resid_post"], ClipLayers.Hooks("all", 2, TokenSelection.Patch, out var note));
        Assert.Contains("pooled", note);
        Assert.Equal(["vision.blocks.1.hook_resid_post", ClipVisionTransformer.PooledHook], ClipLayers.Hooks("1, pooled", 2, TokenSelection.Cls, out _));
        Assert.Equal(["block0", "pooled"], new[] { "vision.blocks.0.hook_resid_post", ClipVisionTransformer.PooledHook }.Select(ClipLayers.LayerName));
        var outOfRange = Assert.Throws<ArgumentException>(() => ClipLayers.Hooks("0,2", 2, TokenSelection.All, out _));
        Assert.Contains("0..1", outOfRange.Message);
        Assert.Throws<ArgumentException>(() => ClipLayers.Hooks("pooled", 2, TokenSelection.Patch, out _));
        Assert.Throws<ArgumentException>(() => ClipLayers.Hooks("first", 2, TokenSelection.All, out _));
    }
}
