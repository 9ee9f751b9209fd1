using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Llm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

public class LlamaHookTests
{
    [Fact]
    public void HookPointsHaveTransformerLensNamesAndShapes()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model();
        var ids = TinyLlama.Ids();
        using var cache = new ActivationCache();
        using (lm.Hooks.Scope())
        {
            lm.Hooks.Add(_ => true, Hook.Cache(cache));
            using var _ = no_grad();
            lm.Forward(ids);
        }
        var (b, t) = (2, 6);
        foreach (var i in new[] { 0, 1 })
        {
            var p = $"lm.blocks.{i}";
            foreach (var r in new[] { "hook_resid_pre", "hook_resid_mid", "hook_resid_post" }) Assert.Equal(new long[] { b, t, 32 }, cache[$"{p}.{r}"].shape);
            Assert.Equal(new long[] { b, t, 4, 8 }, cache[$"{p}.attn.hook_q"].shape);
            Assert.Equal(new long[] { b, t, 2, 8 }, cache[$"{p}.attn.hook_k"].shape);
            Assert.Equal(new long[] { b, t, 2, 8 }, cache[$"{p}.attn.hook_v"].shape);
            Assert.Equal(new long[] { b, 4, t, t }, cache[$"{p}.attn.hook_pattern"].shape);
            Assert.Equal(new long[] { b, t, 4, 8 }, cache[$"{p}.attn.hook_z"].shape);
            Assert.Equal(new long[] { b, t, 48 }, cache[$"{p}.mlp.hook_post"].shape);
        }
        // Causal: nothing attends to a later position, and every row is a distribution.
        var pattern = cache["lm.blocks.0.attn.hook_pattern"];
        Assert.Equal(0f, pattern.triu(1).abs().max().item<float>());
        Assert.True(pattern.sum(-1).allclose(ones(b, 4, t), atol: 1e-5));
        Assert.Equal(1, lm.Hooks["lm.blocks.1.attn.hook_pattern"].HeadDim);
        Assert.Equal(2, lm.Hooks["lm.blocks.1.attn.hook_z"].HeadDim);
    }

    [Fact]
    public void TheLastResidualThroughUnembedIsTheLogits()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model(TinyLlama.Config(tied: true));
        var ids = TinyLlama.Ids();
        using var cache = new ActivationCache();
        using var _ = no_grad();
        Tensor logits;
        using (lm.Hooks.Scope())
        {
            lm.Hooks.Add("lm.blocks.1.hook_resid_post", Hook.Cache(cache));
            logits = lm.Forward(ids);
        }
        Assert.Equal(0f, (lm.Unembed(cache["lm.blocks.1.hook_resid_post"]) - logits).abs().max().item<float>());
    }

    [Fact]
    public void AblatingAHeadChangesTheLogitsAndClearingRestoresThem()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model();
        var ids = TinyLlama.Ids();
        using var _ = no_grad();
        var clean = lm.Forward(ids);
        Tensor ablated;
        using (lm.Hooks.Scope())
        {
            lm.Hooks.Add("lm.blocks.0.attn.hook_z", Hook.Zero(head: 1));
            ablated = lm.Forward(ids);
        }
        Assert.True((ablated - clean).abs().max().item<float>() > 1e-3);
        Assert.Equal(0f, (lm.Forward(ids) - clean).abs().max().item<float>());
    }

    [Fact]
    public void EmbeddingsInputGivesTheTokenIdsResultsAndGeneration()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model(TinyLlama.Config(qwen: true));
        var ids = TinyLlama.Ids();
        using var _ = no_grad();
        Assert.Equal(0f, (lm.ForwardEmbeddings(lm.Embed(ids)) - lm.Forward(ids)).abs().max().item<float>());
        Assert.Equal(LlamaGreedy.Generate(lm, ids, 5, stopIds: []), LlamaGreedy.GenerateFromEmbeddings(lm, lm.Embed(ids), 5, stopIds: []));
    }

    [Fact]
    public void LeftPaddedRowsContinueAsTheyDoAlone()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model();
        var ids = TinyLlama.Ids(length: 7);
        var shorter = ids[0].narrow(0, 3, 4).unsqueeze(0);
        // Row 0: three pad tokens (id 0) then the 4-token prompt; row 1: the full 7-token prompt.
        var batch = stack([cat([zeros(3, dtype: ScalarType.Int64), shorter[0]]), ids[1]]);
        var mask = stack([cat([zeros(3, dtype: ScalarType.Int64), ones(4, dtype: ScalarType.Int64)]), ones(7, dtype: ScalarType.Int64)]);
        using var _ = no_grad();
        foreach (var useCache in new[] { true, false })
        {
            var together = LlamaGreedy.Generate(lm, batch, 6, stopIds: [], useCache: useCache, attentionMask: mask);
            Assert.Equal(LlamaGreedy.Generate(lm, shorter, 6, stopIds: [])[0], together[0]);
            Assert.Equal(LlamaGreedy.Generate(lm, ids[1].unsqueeze(0), 6, stopIds: [])[0], together[1]);
        }
    }

    [Fact]
    public void GenerationStopsAtAnEndToken()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model();
        var ids = TinyLlama.Ids(batch: 1);
        using var _ = no_grad();
        var free = LlamaGreedy.Generate(lm, ids, 6, stopIds: [])[0];
        var stopped = LlamaGreedy.Generate(lm, ids, 6, stopIds: [(int)free[2]])[0];
        Assert.Equal(free.Take(Array.IndexOf(free, free[2]) + 1), stopped);
    }

    [Fact]
    public void HooksSeeOnlyTheNewPositionsWithACache()
    {
        using var scope = NewDisposeScope();
        using var lm = TinyLlama.Model();
        var ids = TinyLlama.Ids();
        using var kv = lm.NewCache();
        using var cache = new ActivationCache();
        using var _ = no_grad();
        lm.Forward(ids.narrow(1, 0, 5), kv);
        using (lm.Hooks.Scope())
        {
            lm.Hooks.Add(n => n.EndsWith("hook_pattern", StringComparison.Ordinal), Hook.Cache(cache));
            lm.Forward(ids.narrow(1, 5, 1), kv);
        }
        Assert.Equal(new long[] { 2, 4, 1, 6 }, cache["lm.blocks.1.attn.hook_pattern"].shape);
    }
}
