using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

public class ClipCheckpointTests
{
    static string TempDir() => Directory.CreateTempSubdirectory("mminterp-ckpt-").FullName;

    [Fact]
    public void SavedHuggingFaceLayoutLoadsToTheSameOutputs()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        var dir = TempDir();
        ClipCheckpoint.Save(model, ShapesVocabulary.Build(), dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal(8, config["vision_config"]!["hidden_size"]!.GetValue<int>());
        Assert.Equal("quick_gelu", config["text_config"]!["hidden_act"]!.GetValue<string>());
        var entries = SafeTensors.ReadHeader(Path.Combine(dir, "model.safetensors")).Entries;
        Assert.Contains("vision_model.encoder.layers.1.self_attn.out_proj.weight", entries.Keys);
        Assert.Equal("F32", entries["logit_scale"].DType);

        var loaded = ClipCheckpoint.Load(dir);
        using var _ = no_grad();
        Assert.True(Same.Values(loaded.Model.LogitsPerImage(TinyClip.Images(), TinyClip.Ids()), model.LogitsPerImage(TinyClip.Images(), TinyClip.Ids())));
        Assert.NotNull(loaded.Tokenizer);
    }

    [Fact]
    public void ACheckpointWrittenFromRawTensorsMatchesTheReferenceForward()
    {
        // Build the state dict by hand (as HF would write it, plus a position_ids buffer) and load it.
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var shapeSource = new ClipModel(TinyClip.Config());
        var raw = shapeSource.named_parameters().ToDictionary(p => p.name, p => randn(p.parameter.shape) * 0.5);
        raw["logit_scale"] = tensor(1.3f);
        raw["vision_model.embeddings.position_ids"] = arange(5).unsqueeze(0);
        var dir = TempDir();
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), raw);
        ClipConfigJson.Write(TinyClip.Config(), Path.Combine(dir, "config.json"));
        var loaded = ClipCheckpoint.Load(dir).Model;
        using var _ = no_grad();
        var expected = ReferenceClip.Logits(raw, TinyClip.Images(), TinyClip.Ids(), heads: 2, eos: 19);
        Assert.True(loaded.LogitsPerImage(TinyClip.Images(), TinyClip.Ids()).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void MissingWrongShapedAndUnexpectedKeysAreNamed()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model();
        var dir = TempDir();
        ClipCheckpoint.Save(model, null, dir);
        var weights = Path.Combine(dir, "model.safetensors");
        var state = SafeTensors.Load(weights).Tensors;

        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("text_projection.weight");
        SafeTensors.Save(weights, missing);
        var e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.Contains("missing", e.Message);
        Assert.Contains("text_projection.weight", e.Message);

        var wrong = new Dictionary<string, Tensor>(state) { ["visual_projection.weight"] = zeros(6, 9) };
        SafeTensors.Save(weights, wrong);
        e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.Contains("visual_projection.weight", e.Message);
        Assert.Contains("[6,9]", e.Message);

        var extra = new Dictionary<string, Tensor>(state) { ["vision_model.encoder.layers.7.mlp.fc1.weight"] = zeros(2) };
        SafeTensors.Save(weights, extra);
        e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.Contains("layers.7.mlp.fc1.weight", e.Message);
    }

    [Fact]
    public void ConfigWithoutVisionConfigIsRejected()
    {
        var dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"text_config": {"hidden_size": 8}}""");
        var e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.Contains("vision_config", e.Message);
    }
}
