using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>
/// HF-layout CLIP checkpoints, loaded here, against OpenAI's own CLIP code (clip/model.py, clip/simple_tokenizer.py)
/// run by tests/reference/clip_openai_reference.py; the goldens in Clip/Reference are regenerated only by that script.
/// </summary>
public class OpenAiReferenceTests
{
    static string TempDir() => Directory.CreateTempSubdirectory("mminterp-openai-").FullName;

    static string SubsetDir => Path.Combine(OpenAiReferenceWeights.Dir, "clip_bpe_subset");

    [Fact]
    public void HfKeysAreTheModelsParametersAndOpenAisConvertedKeys()
    {
        var config = OpenAiReferenceWeights.Config();
        var expected = ClipHfKeys.Expected(config);
        using var model = new ClipModel(config);
        Assert.Equal(expected.OrderBy(k => k.Key).Select(k => (k.Key, string.Join(",", k.Value))),
            model.named_parameters().OrderBy(p => p.name).Select(p => (p.name, string.Join(",", p.parameter.shape))));
        var openAi = (JsonObject)OpenAiReferenceWeights.Spec["hf_keys"]!;
        Assert.Equal(expected.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (k.Key, string.Join(",", k.Value))),
            openAi.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => (k.Key, string.Join(",", k.Value!["shape"]!.AsArray().Select(n => n!.GetValue<long>())))));
    }

    public static TheoryData<string> Forms => new() { "single-fp32", "sharded-mixed", "sharded-tokenizer-json" };

    [Theory]
    [MemberData(nameof(Forms))]
    public void EmbeddingsEqualOpenAisOnEveryCheckpointForm(string form)
    {
        using var scope = NewDisposeScope();
        var config = OpenAiReferenceWeights.Config();
        var dir = TempDir();
        WriteCheckpoint(dir, config, form);

        var summary = ClipDirectory.Inspect(dir);
        Assert.Equal(form == "single-fp32" ? 1 : 3, summary.Weights.Shards.Count);
        Assert.Equal(ClipHfKeys.ParameterCount(ClipHfKeys.Expected(config)), summary.ParameterCount);
        var clip = ClipCheckpoint.Load(dir);
        using var loaded = clip.Model;
        var tokenizer = clip.Tokenizer!;

        var golden = SafeTensors.Load(Path.Combine(OpenAiReferenceWeights.Dir, "clip_openai_embeddings.safetensors")).Tensors;
        var prompts = OpenAiReferenceWeights.Spec["embed_prompts"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var ids = tokenizer.EncodeBatch(prompts, config.Text.MaxPositions);
        // clip.tokenize pads with 0 and HF with <|endoftext|>; the causal mask makes padding irrelevant, so the ids
        // must agree up to and including each text's end marker.
        var reference = golden["input_ids"];
        for (var i = 0; i < prompts.Count; i++)
        {
            var end = reference[i].argmax().item<long>();
            Assert.True(Same.Values(ids[i].narrow(0, 0, end + 1), reference[i].narrow(0, 0, end + 1)), $"ids of prompt {i}");
        }
        using var _ = no_grad();
        AssertClose(golden["image_embeds"], loaded.EncodeImage(golden["pixels"]), "image_embeds");
        AssertClose(golden["text_embeds"], loaded.EncodeText(ids), "text_embeds");
        AssertClose(golden["logits_per_image"], loaded.LogitsPerImage(golden["pixels"], ids), "logits_per_image");
    }

    /// <summary>fp32 on the CPU, same weights, different kernels (OpenAI's fused in_proj and nn.MultiheadAttention):
    /// agreement to 1e-5 of the tensor's largest magnitude, i.e. to fp32 rounding after two layers.</summary>
    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var scale = expected.abs().max().item<float>();
        var error = (expected - actual).abs().max().item<float>();
        Assert.True(error <= 1e-5 * scale, $"{what}: max |diff| {error:g3} exceeds 1e-5 x {scale:g3}");
    }

    /// <summary>The reference model in one of the forms real checkpoints take.</summary>
    static void WriteCheckpoint(string dir, ClipConfig config, string form)
    {
        if (form == "single-fp32")
        {
            ClipConfigJson.Write(config, Path.Combine(dir, "config.json"));
            var state = OpenAiReferenceWeights.State(config);
            // Older HF checkpoints carry these buffers; the loader ignores them.
            state["text_model.embeddings.position_ids"] = arange(config.Text.MaxPositions).unsqueeze(0);
            SafeTensors.Save(Path.Combine(dir, "model.safetensors"), state);
        }
        else
        {
            // As openai/clip-vit-large-patch14 writes it: legacy *_config_dict overriding a defaulted text_config,
            // extra fields, projection_dim at the top.
            var t = config.Text.Tower;
            var v = config.Vision.Tower;
            var json = new JsonObject
            {
                ["_name_or_path"] = "openai/clip-vit-tiny", ["architectures"] = new JsonArray("CLIPModel"), ["model_type"] = "clip",
                ["initializer_factor"] = 1.0, ["logit_scale_init_value"] = 2.6592, ["projection_dim"] = config.ProjectionDim,
                ["torch_dtype"] = "float32", ["transformers_version"] = null,
                ["text_config"] = new JsonObject { ["hidden_size"] = 512, ["model_type"] = "clip_text_model", ["bos_token_id"] = 0, ["eos_token_id"] = 2, ["vocab_size"] = 49408 },
                ["text_config_dict"] = new JsonObject
                {
                    ["hidden_size"] = t.HiddenSize, ["intermediate_size"] = t.IntermediateSize, ["num_attention_heads"] = t.NumHeads,
                    ["num_hidden_layers"] = t.NumLayers, ["projection_dim"] = config.ProjectionDim,
                },
                ["vision_config"] = new JsonObject
                {
                    ["hidden_size"] = v.HiddenSize, ["intermediate_size"] = v.IntermediateSize, ["num_attention_heads"] = v.NumHeads,
                    ["num_hidden_layers"] = v.NumLayers, ["image_size"] = config.Vision.ImageSize, ["patch_size"] = config.Vision.PatchSize,
                    ["dropout"] = 0.0, ["hidden_act"] = "quick_gelu", ["model_type"] = "clip_vision_model",
                },
                ["vision_config_dict"] = null,
            };
            File.WriteAllText(Path.Combine(dir, "config.json"), json.ToJsonString());
            HfShardedWriter.Write(dir, OpenAiReferenceWeights.StoredState(config), shards: 3);
        }
        if (form == "sharded-tokenizer-json") WriteTokenizerJson(dir, pairs: true);
        else foreach (var f in new[] { "vocab.json", "merges.txt" }) File.Copy(Path.Combine(SubsetDir, f), Path.Combine(dir, f));
        File.WriteAllText(Path.Combine(dir, "preprocessor_config.json"), """{"crop_size": 32, "do_normalize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073]}""");
    }

    /// <summary>tokenizer.json as the tokenizers library writes it, merges as "a b" strings (older) or [a, b] pairs.</summary>
    static void WriteTokenizerJson(string dir, bool pairs)
    {
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(SubsetDir, "vocab.json")))!;
        var merges = new JsonArray();
        foreach (var line in File.ReadLines(Path.Combine(SubsetDir, "merges.txt")).Skip(1))
            merges.Add(pairs ? new JsonArray(line.Split(' ')[0], line.Split(' ')[1]) : line);
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 49406, ["content"] = "<|startoftext|>", ["special"] = true }),
            ["normalizer"] = new JsonObject { ["type"] = "Sequence" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<|endoftext|>", ["end_of_word_suffix"] = "</w>",
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
    }

    public static IEnumerable<(string Text, int[] Ids)> Prompts() =>
        File.ReadLines(Path.Combine(OpenAiReferenceWeights.Dir, "clip_openai_tokens.jsonl")).Select(line =>
        {
            var row = JsonNode.Parse(line)!;
            return (row["text"]!.GetValue<string>(), row["ids"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray());
        });

    [Theory]
    [InlineData("vocab+merges")]
    [InlineData("tokenizer.json strings")]
    [InlineData("tokenizer.json pairs")]
    public void TokenisationEqualsSimpleTokenizerOnRealPrompts(string files)
    {
        // The committed vocabulary keeps only the merges these prompts use; the script's subset_tokenizer says why
        // that tokenises them exactly as the full bpe_simple_vocab_16e6.txt.gz does.
        ClipBpeTokenizer tokenizer;
        if (files == "vocab+merges") tokenizer = ClipBpeTokenizer.FromFiles(Path.Combine(SubsetDir, "vocab.json"), Path.Combine(SubsetDir, "merges.txt"));
        else
        {
            var dir = TempDir();
            WriteTokenizerJson(dir, pairs: files.EndsWith("pairs"));
            tokenizer = ClipTokenizerJson.Read(Path.Combine(dir, "tokenizer.json"));
        }
        var prompts = Prompts().ToList();
        Assert.True(prompts.Count > 3000, $"only {prompts.Count} prompts");
        var wrong = prompts.Where(p => !tokenizer.Encode(p.Text).SequenceEqual(p.Ids))
            .Select(p => $"'{p.Text}': expected [{string.Join(",", p.Ids)}], got [{string.Join(",", tokenizer.Encode(p.Text))}]").ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {prompts.Count} prompts differ, e.g. {string.Join("; ", wrong.Take(3))}");
    }
}
