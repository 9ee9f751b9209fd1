using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Llm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

public class LlamaCheckpointTests
{
    static string SavedTiny(LlamaConfig config, Action<Dictionary<string, Tensor>>? edit = null)
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-llm-").FullName;
        using var lm = TinyLlama.Model(config);
        LlamaCheckpoint.Save(lm, dir);
        if (edit is null) return dir;
        using var scope = NewDisposeScope();
        var path = Path.Combine(dir, HfWeightFiles.SingleFile);
        var state = SafeTensors.Load(path).Tensors;
        edit(state);
        SafeTensors.Save(path, state);
        return dir;
    }

    static string LoadError(string dir)
    {
        try { return Assert.ThrowsAny<Exception>(() => LlamaCheckpoint.Load(dir).Model.Dispose()).Message; }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SavedModelLoadsToTheSameLogitsAndATiedHeadIsNotWritten()
    {
        using var scope = NewDisposeScope();
        var config = TinyLlama.Config(qwen: true, tied: true);
        using var lm = TinyLlama.Model(config);
        var dir = Directory.CreateTempSubdirectory("mminterp-llm-").FullName;
        try
        {
            LlamaCheckpoint.Save(lm, dir, shards: 2);
            var weights = HfWeightFiles.Open(dir);
            var keys = weights.Entries.Select(e => e.Entry.Name).ToHashSet();
            Assert.DoesNotContain("lm_head.weight", keys);
            Assert.Contains("model.layers.1.self_attn.k_proj.bias", keys);
            Assert.DoesNotContain("model.layers.1.self_attn.o_proj.bias", keys);
            using var loaded = LlamaCheckpoint.Load(dir).Model;
            var ids = TinyLlama.Ids();
            using var _ = no_grad();
            Assert.Equal(0f, (lm.Forward(ids) - loaded.Forward(ids)).abs().max().item<float>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ATiedCheckpointThatAlsoStoresTheHeadLoads()
    {
        using var scope = NewDisposeScope();
        var dir = SavedTiny(TinyLlama.Config(tied: true), s => s["lm_head.weight"] = s["model.embed_tokens.weight"].clone());
        try { LlamaCheckpoint.Load(dir).Model.Dispose(); }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AMissingTensorIsNamed()
    {
        using var scope = NewDisposeScope();
        var message = LoadError(SavedTiny(TinyLlama.Config(), s => s.Remove("model.layers.1.mlp.up_proj.weight")));
        Assert.Contains("missing 1 key(s): model.layers.1.mlp.up_proj.weight", message);
    }

    [Fact]
    public void AMisShapedTensorIsNamed()
    {
        using var scope = NewDisposeScope();
        var message = LoadError(SavedTiny(TinyLlama.Config(), s => s["model.layers.0.self_attn.k_proj.weight"] = zeros(32, 32)));
        Assert.Contains("key 'model.layers.0.self_attn.k_proj.weight' has shape [32,32] but the model expects [16,32]", message);
    }

    [Fact]
    public void ANaNWeightIsNamed()
    {
        using var scope = NewDisposeScope();
        var message = LoadError(SavedTiny(TinyLlama.Config(), s => s["model.norm.weight"][3] = float.NaN));
        Assert.Contains("tensor 'model.norm.weight' holds 1 NaN value(s)", message);
    }

    [Fact]
    public void AnUntiedCheckpointWithoutItsHeadIsRefused()
    {
        using var scope = NewDisposeScope();
        var message = LoadError(SavedTiny(TinyLlama.Config(), s => s.Remove("lm_head.weight")));
        Assert.Contains("missing 1 key(s): lm_head.weight", message);
    }

    [Fact]
    public void ADirectoryWithoutWeightsOrConfigIsRefused()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-llm-").FullName;
        Assert.Contains("model config not found", LoadError(dir));
    }
}
