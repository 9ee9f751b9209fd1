using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>The inspector on valid and broken HF CLIP directories: each problem is one line naming the file.</summary>
public class ClipDirectoryTests
{
    static readonly ClipBpeTokenizer Tokenizer = ClipBpeTokenizer.BuildForWords(["a", "photo", "of", "cat"]);

    static ClipConfig Config() => TinyClip.Config(layers: 2) with
    {
        // <|endoftext|> is the tokenizer's last id, so the legacy eos_token_id 2 (pool at argmax) fits.
        Text = TinyClip.Config(layers: 2).Text with { VocabSize = Tokenizer.VocabSize, EosTokenId = 2, BosTokenId = 0, PadTokenId = 1 },
    };

    /// <summary>A valid directory: sharded weights, vocab.json + merges.txt, preprocessor_config.json.</summary>
    static string ValidDir()
    {
        using var scope = NewDisposeScope();
        var dir = Directory.CreateTempSubdirectory("mminterp-clipdir-").FullName;
        using var model = new ClipModel(Config());
        ClipConfigJson.Write(model.Config, Path.Combine(dir, "config.json"));
        HfShardedWriter.Write(dir, ClipCheckpoint.StateDict(model), shards: 2);
        Tokenizer.Save(dir);
        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), """{"crop_size": 8}""");
        return dir;
    }

    /// <summary>The one-line message; InvalidDataException for bad content, FileNotFoundException for a missing file.</summary>
    static string Error(string dir)
    {
        var e = Assert.ThrowsAny<Exception>(() => ClipDirectory.Inspect(dir));
        Assert.True(e is InvalidDataException or IOException, $"{e.GetType().Name}: {e.Message}");
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    [Fact]
    public void AValidShardedDirectoryIsSummarisedAndLoads()
    {
        var dir = ValidDir();
        var s = ClipDirectory.Inspect(dir);
        Assert.Equal(2, s.Weights.Shards.Count);
        Assert.Equal("vocab.json + merges.txt", s.Tokenizer);
        Assert.True(s.HasPreprocessorConfig);
        Assert.Equal(new Dictionary<string, int> { ["F32"] = ClipHfKeys.Expected(Config()).Count }, s.TensorsByDType);
        using var model = new ClipModel(Config());
        Assert.Equal(model.parameters().Sum(p => p.numel()), s.ParameterCount);
        Assert.Contains("vision 8x2", s.Architecture);
        using var loaded = ClipCheckpoint.Load(dir).Model;
        Assert.Equal(s.ParameterCount, loaded.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void OtherFamiliesAreNamed()
    {
        var llava = Directory.CreateTempSubdirectory("mminterp-llava-").FullName;
        File.WriteAllText(Path.Combine(llava, "config.json"),
            """{"architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "text_config": {"model_type": "llama"}, "vision_config": {"model_type": "clip_vision_model"}}""");
        var e = Error(llava);
        Assert.Contains("config.json", e);
        Assert.Contains("'llava'", e);

        var vision = Directory.CreateTempSubdirectory("mminterp-visiononly-").FullName;
        File.WriteAllText(Path.Combine(vision, "config.json"), """{"architectures": ["CLIPVisionModel"], "model_type": "clip_vision_model", "hidden_size": 8}""");
        Assert.Contains("clip_vision_model", Error(vision));

        var pipeline = Directory.CreateTempSubdirectory("mminterp-diffusers-").FullName;
        File.WriteAllText(Path.Combine(pipeline, "model_index.json"), """{"_class_name": "StableDiffusionPipeline"}""");
        Assert.Contains("model_index.json: a diffusers pipeline", Error(pipeline));

        var random = Directory.CreateTempSubdirectory("mminterp-random-").FullName;
        File.WriteAllText(Path.Combine(random, "notes.txt"), "hello");
        Assert.Contains("no config.json", Error(random));

        var torchOnly = ValidDir();
        foreach (var f in Directory.GetFiles(torchOnly, "*.safetensors*")) File.Delete(f);
        File.WriteAllBytes(Path.Combine(torchOnly, "pytorch_model.bin"), [1, 2, 3]);
        Assert.Contains("only safetensors is read", Error(torchOnly));
    }

    [Fact]
    public void BrokenWeightFilesAreNamed()
    {
        var dir = ValidDir();
        var shard = Path.Combine(dir, "model-00002-of-00002.safetensors");
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..(bytes.Length - 10)]);
        var e = Error(dir);
        Assert.Contains("model-00002-of-00002.safetensors", e);
        Assert.Contains("truncated", e);

        File.WriteAllText(shard, "this is not a safetensors file at all, just some text");
        Assert.Contains("model-00002-of-00002.safetensors", Error(dir));

        File.Delete(shard);
        e = Error(dir);
        Assert.Contains("model.safetensors.index.json", e);
        Assert.Contains("missing", e);
    }

    [Fact]
    public void AnIndexThatDisagreesWithItsShardsIsNamed()
    {
        var dir = ValidDir();
        var indexPath = Path.Combine(dir, HfWeightFiles.IndexFile);
        var index = JsonNode.Parse(File.ReadAllText(indexPath))!;
        var map = index["weight_map"]!.AsObject();
        var key = map.First(kv => kv.Value!.GetValue<string>().StartsWith("model-00001")).Key;

        map[key] = "model-00002-of-00002.safetensors";
        File.WriteAllText(indexPath, index.ToJsonString());
        var e = Error(dir);
        Assert.Contains(key, e);
        Assert.Contains("maps to model-00002-of-00002.safetensors", e);

        map.Remove(key);
        File.WriteAllText(indexPath, index.ToJsonString());
        e = Error(dir);
        Assert.Contains("model-00001-of-00002.safetensors", e);
        Assert.Contains(key, e);

        map[key] = "../elsewhere.safetensors";
        File.WriteAllText(indexPath, index.ToJsonString());
        Assert.Contains("not a file name in this directory", Error(dir));

        File.WriteAllText(indexPath, "{ not json");
        Assert.Contains("model.safetensors.index.json: not valid JSON", Error(dir));
    }

    [Fact]
    public void WrongKeysShapesAndDTypesAreNamed()
    {
        using var scope = NewDisposeScope();
        var dir = ValidDir();
        foreach (var f in Directory.GetFiles(dir, "model*")) File.Delete(f);
        using var model = new ClipModel(Config());
        var state = ClipCheckpoint.StateDict(model);
        var weights = Path.Combine(dir, "model.safetensors");

        SafeTensors.Save(weights, new Dictionary<string, Tensor>(state) { ["visual_projection.weight"] = zeros(6, 9) });
        var e = Error(dir);
        Assert.Contains("model.safetensors", e);
        Assert.Contains("visual_projection.weight", e);
        Assert.Contains("[6,9]", e);

        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("text_model.final_layer_norm.bias");
        SafeTensors.Save(weights, missing);
        Assert.Contains("missing 1 key(s): text_model.final_layer_norm.bias", Error(dir));

        SafeTensors.Save(weights, new Dictionary<string, Tensor>(state) { ["vision_model.encoder.layers.5.mlp.fc1.weight"] = zeros(2) });
        Assert.Contains("unexpected key(s) not in the model: vision_model.encoder.layers.5.mlp.fc1.weight", Error(dir));

        SafeTensors.Save(weights, new Dictionary<string, Tensor>(state) { ["logit_scale"] = tensor(3L) });
        Assert.Contains("'logit_scale' is I64", Error(dir));
    }

    [Fact]
    public void ConfigAndTokenizerProblemsAreNamed()
    {
        var dir = ValidDir();
        var config = Path.Combine(dir, "config.json");
        var good = File.ReadAllText(config);
        File.WriteAllText(config, "{\"text_config\": {}, ");
        Assert.Contains("config.json: not valid JSON", Error(dir));
        var bad = JsonNode.Parse(good)!;
        bad["vision_config"]!["patch_size"] = 3;
        File.WriteAllText(config, bad.ToJsonString());
        Assert.Contains("must be a positive multiple of patch_size", Error(dir));
        bad = JsonNode.Parse(good)!;
        bad["text_config"]!["hidden_act"] = "swish";
        File.WriteAllText(config, bad.ToJsonString());
        Assert.Contains("'swish' is not supported", Error(dir));
        File.WriteAllText(config, good);

        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), "[1, 2");
        Assert.Contains("preprocessor_config.json: not valid JSON", Error(dir));
        File.Delete(Path.Combine(dir, "preprocessor_config.json"));

        File.Delete(Path.Combine(dir, "merges.txt"));
        Assert.Contains("vocab.json without merges.txt", Error(dir));
        File.Delete(Path.Combine(dir, "vocab.json"));
        Assert.Contains("no tokenizer", Error(dir));
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), """{"model": {"type": "WordPiece", "vocab": {}}}""");
        Assert.Contains("tokenizer.json: model.type is 'WordPiece'", Error(dir));
    }
}
