using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Interchange;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>
/// SAELens interchange: our export read back gives bit-identical encode/decode for every kind; directories written the
/// way SAELens 6.18's save_model / save_inference_model and the pre-6.0 SAEConfig.to_dict write them import with
/// SAELens's maths (re-implemented here from its source: process_sae_in, encode, decode of StandardSAE, TopKSAE,
/// JumpReLUSAE); everything SAELens or we cannot run is refused with one line naming the file.
/// </summary>
public sealed class SaeLensInterchangeTests : IDisposable
{
    const int D = 12, M = 40;
    readonly string _root = Path.Combine(Path.GetTempPath(), $"saelens-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string Dir(string name) => Path.Combine(_root, name);

    /// <summary>An SAE with every parameter random (biases and thresholds too), so nothing is zero by construction.</summary>
    internal static SparseAutoencoder RandomSae(SaeKind kind, double normScale, bool preEncoderBias, long seed = 5)
    {
        var sae = SaeFactory.Create(new SaeConfig { Kind = kind, DIn = D, DSae = M, K = 6, PreEncoderBias = preEncoderBias, TiedInit = false, Seed = seed });
        using var gen = new Generator((ulong)seed + 1);
        using (no_grad())
        {
            sae.b_enc.copy_(randn(M, generator: gen) * 0.3);
            sae.b_dec.copy_(randn(D, generator: gen));
            if (sae is JumpReluSae j) j.log_threshold.copy_((rand(M, generator: gen) * 0.6 + 0.02).log());
            if (sae is BatchTopKSae b) b.Buffers.Single().Buffer.fill_(0.137);
        }
        sae.NormScale = normScale;
        return sae;
    }

    /// <summary>Equal values and shape (torch.equal in TorchSharp is element-wise).</summary>
    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static Tensor Batch(long seed, int rows = 64)
    {
        using var gen = new Generator((ulong)seed);
        return randn(new long[] { rows, D }, generator: gen) * 2.5;
    }

    [Theory]
    [InlineData(SaeKind.Relu, 1.0, true)]
    [InlineData(SaeKind.Relu, 0.37, false)]
    [InlineData(SaeKind.TopK, 1.0, true)]
    [InlineData(SaeKind.TopK, 2.9, true)]
    [InlineData(SaeKind.BatchTopK, 1.0, true)]
    [InlineData(SaeKind.BatchTopK, 0.61, false)]
    [InlineData(SaeKind.JumpRelu, 1.0, true)]
    [InlineData(SaeKind.JumpRelu, 1.7, true)]
    public void ExportThenImportEncodesAndDecodesBitIdentically(SaeKind kind, double normScale, bool preEncoderBias)
    {
        using var scope = NewDisposeScope();
        using var sae = RandomSae(kind, normScale, preEncoderBias);
        var dir = Dir($"{kind}-{normScale}");
        SaeLensExporter.Export(sae, dir, new SaeLensProvenance("clip-b32", "vision.blocks.3.hook_resid_post"));
        using var imported = SaeLensImporter.Read(dir);
        var back = imported.Sae;
        Assert.Equal(sae.Config, back.Config);
        Assert.Equal(sae.NormScale, back.NormScale);
        Assert.Equal(sae.GetType(), back.GetType());
        Assert.Equal("vision.blocks.3.hook_resid_post", imported.Config.HookName);
        var x = Batch(11);
        var z = sae.Encode(x);
        var zBack = back.Encode(x);
        Assert.True(z.count_nonzero().item<long>() > 0, "the batch activates nothing: the comparison would be empty");
        Assert.True(SaeLensImporter.BitEqual(z, zBack), $"{kind}: encode differs after the round trip");
        Assert.True(SaeLensImporter.BitEqual(sae.Decode(z), back.Decode(zBack)), $"{kind}: decode differs after the round trip");
        // The sidecar is there only when SAELens's weights alone could not give these bits.
        Assert.Equal(normScale != 1.0, File.Exists(Path.Combine(dir, SaeLensFormat.SidecarFile)));
    }

    [Theory]
    [InlineData(SaeKind.Relu, "standard")]
    [InlineData(SaeKind.TopK, "topk")]
    [InlineData(SaeKind.BatchTopK, "jumprelu")]
    [InlineData(SaeKind.JumpRelu, "jumprelu")]
    public void ExportWritesSaeLensKeysShapesAndConfigFields(SaeKind kind, string architecture)
    {
        using var scope = NewDisposeScope();
        using var sae = RandomSae(kind, 1.0, true);
        var dir = Dir($"layout-{kind}");
        SaeLensExporter.Export(sae, dir, new SaeLensProvenance("m1", "text.blocks.0.hook_resid_pre"));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "cfg.json")))!.AsObject();
        var expected = new List<string> { "d_in", "d_sae", "dtype", "device", "apply_b_dec_to_input", "normalize_activations", "reshape_activations", "metadata", "architecture" };
        if (kind == SaeKind.TopK) expected.AddRange(["k", "rescale_acts_by_decoder_norm"]);
        Assert.Equal(expected.Order(), cfg.Select(kv => kv.Key).Order());
        Assert.Equal(architecture, (string?)cfg["architecture"]);
        Assert.Equal(D, (int)cfg["d_in"]!);
        Assert.Equal(M, (int)cfg["d_sae"]!);
        Assert.Equal("float32", (string?)cfg["dtype"]);
        Assert.Equal("none", (string?)cfg["normalize_activations"]);
        Assert.Equal("6.18.0", (string?)cfg["metadata"]!["sae_lens_version"]);
        Assert.Equal("text.blocks.0.hook_resid_pre", (string?)cfg["metadata"]!["hook_name"]);
        Assert.Equal("m1", (string?)cfg["metadata"]!["model_name"]);
        if (kind == SaeKind.TopK)
        {
            Assert.Equal(6, (int)cfg["k"]!);
            Assert.False((bool)cfg["rescale_acts_by_decoder_norm"]!);
        }
        var header = SafeTensors.ReadHeader(Path.Combine(dir, "sae_weights.safetensors"));
        var shapes = header.Entries.ToDictionary(e => e.Key, e => string.Join(",", e.Value.Shape));
        var want = new Dictionary<string, string> { ["W_enc"] = $"{D},{M}", ["b_enc"] = $"{M}", ["W_dec"] = $"{M},{D}", ["b_dec"] = $"{D}" };
        if (architecture == "jumprelu") want["threshold"] = $"{M}";
        Assert.Equal(want.OrderBy(kv => kv.Key), shapes.OrderBy(kv => kv.Key));
        Assert.All(header.Entries.Values, e => Assert.Equal("F32", e.DType));
        Assert.Empty(header.Metadata); // SAELens's save_file(state_dict, path) writes no __metadata__
    }

    [Fact]
    public void NormalisationIsFoldedIntoSaeLensWeightsAsSaeLensFoldsIt()
    {
        using var scope = NewDisposeScope();
        using var sae = RandomSae(SaeKind.TopK, 2.9, true);
        var dir = Dir("folded");
        SaeLensExporter.Export(sae, dir, new SaeLensProvenance(null, null));
        var (t, _) = SafeTensors.Load(Path.Combine(dir, "sae_weights.safetensors"));
        // fold_activation_norm_scaling_factor: W_enc *= s, W_dec /= s, b_dec /= s.
        Assert.True(t["W_enc"].allclose(sae.W_enc.detach() * 2.9f));
        Assert.True(t["W_dec"].allclose(sae.W_dec.detach() / 2.9f));
        Assert.True(t["b_dec"].allclose(sae.b_dec.detach() / 2.9f));
        // SAELens's maths on the folded weights (no input scaling) is our SAE's, up to rounding.
        var x = Batch(3);
        var reference = SaeLensTopK(t, x, k: 6, rescale: false, applyBDec: true);
        Assert.True(reference.allclose(sae.Encode(x), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void AnEditedSidecarIsIgnoredAndSaeLensWeightsAreImported()
    {
        using var scope = NewDisposeScope();
        using var sae = RandomSae(SaeKind.Relu, 0.5, true);
        var dir = Dir("sidecar");
        SaeLensExporter.Export(sae, dir, new SaeLensProvenance(null, null));
        using (var other = RandomSae(SaeKind.Relu, 0.5, true, seed: 99))
        {
            File.Delete(Path.Combine(dir, SaeLensFormat.SidecarFile));
            SaeCheckpoint.SaveSae(Path.Combine(dir, SaeLensFormat.SidecarFile), other);
        }
        using var imported = SaeLensImporter.Read(dir);
        Assert.Equal(1.0, imported.Sae.NormScale);
        Assert.Contains(imported.Notes, n => n.Contains("does not match", StringComparison.Ordinal));
        var x = Batch(4);
        Assert.True(imported.Sae.Encode(x).allclose(sae.Encode(x), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void ExportRefusesADirectoryThatAlreadyHoldsAnSae()
    {
        using var sae = RandomSae(SaeKind.Relu, 1.0, true);
        var dir = Dir("twice");
        SaeLensExporter.Export(sae, dir, new SaeLensProvenance(null, null));
        var before = File.ReadAllBytes(Path.Combine(dir, "sae_weights.safetensors"));
        var e = Assert.Throws<IOException>(() => SaeLensExporter.Export(sae, dir, new SaeLensProvenance(null, null)));
        Assert.Contains("cfg.json", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "sae_weights.safetensors")));
    }

    // ---- directories as SAELens writes them ------------------------------------------------------------------------

    /// <summary>Random SAELens tensors of one architecture (threshold for jumprelu).</summary>
    static Dictionary<string, Tensor> SaeLensTensors(string architecture, long seed)
    {
        using var gen = new Generator((ulong)seed);
        var t = new Dictionary<string, Tensor>
        {
            ["W_enc"] = randn(new long[] { D, M }, generator: gen) * 0.4,
            ["b_enc"] = randn(M, generator: gen) * 0.2,
            ["W_dec"] = randn(new long[] { M, D }, generator: gen) * 0.3,
            ["b_dec"] = randn(D, generator: gen) * 0.5,
        };
        if (architecture == "jumprelu") t["threshold"] = rand(M, generator: gen) * 0.8;
        return t;
    }

    /// <summary>save_model: safetensors save_file of the state dict, then json.dump of cfg.to_dict().</summary>
    string WriteSaeLens(string name, Dictionary<string, Tensor> tensors, string cfgJson)
    {
        var dir = Dir(name);
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, "sae_weights.safetensors"), tensors);
        File.WriteAllText(Path.Combine(dir, "cfg.json"), cfgJson);
        return dir;
    }

    /// <summary>SAELens 6.18 StandardSAEConfig / JumpReLUSAEConfig.to_dict() as json.dump writes it.</summary>
    static string V6Cfg(string architecture, bool applyBDec = true, string extra = "", string normalize = "none", string reshape = "none") =>
        $$"""{"d_in": {{D}}, "d_sae": {{M}}, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": {{(applyBDec ? "true" : "false")}}, "normalize_activations": "{{normalize}}", "reshape_activations": "{{reshape}}", "metadata": {"sae_lens_version": "6.18.0", "sae_lens_training_version": "6.18.0", "model_name": "gpt2", "hook_name": "blocks.3.hook_resid_post", "hook_head_index": null, "context_size": 128, "prepend_bos": true, "seqpos_slice": [null], "model_from_pretrained_kwargs": {}, "dataset_path": "monology/pile-uncopyrighted"}{{extra}}, "architecture": "{{architecture}}"}""";

    static Tensor SaeLensIn(Dictionary<string, Tensor> t, Tensor x, bool applyBDec) => applyBDec ? x - t["b_dec"] : x;

    /// <summary>TopKSAE.encode: hidden_pre (times decoder norms when rescaling), top k, ReLU, scatter.</summary>
    static Tensor SaeLensTopK(Dictionary<string, Tensor> t, Tensor x, int k, bool rescale, bool applyBDec)
    {
        var pre = SaeLensIn(t, x, applyBDec).matmul(t["W_enc"]) + t["b_enc"];
        if (rescale) pre = pre * t["W_dec"].norm(1);
        var (vals, idx) = pre.topk(k, dim: -1, sorted: false);
        return zeros_like(pre).scatter(-1, idx, vals.relu());
    }

    static Tensor SaeLensTopKDecode(Dictionary<string, Tensor> t, Tensor acts, bool rescale) =>
        (rescale ? acts / t["W_dec"].norm(1) : acts).matmul(t["W_dec"]) + t["b_dec"];

    [Fact]
    public void ImportsASaeLensStandardSaeWithItsMathsBitForBit()
    {
        using var scope = NewDisposeScope();
        var t = SaeLensTensors("standard", 21);
        var dir = WriteSaeLens("v6-standard", t, V6Cfg("standard", applyBDec: false));
        using var imported = SaeLensImporter.Read(dir);
        Assert.IsType<ReluSae>(imported.Sae);
        Assert.False(imported.Sae.Config.PreEncoderBias);
        Assert.Equal("blocks.3.hook_resid_post", imported.Config.HookName);
        Assert.Equal("gpt2", imported.Config.ModelName);
        var x = Batch(22);
        var reference = (x.matmul(t["W_enc"]) + t["b_enc"]).relu(); // StandardSAE.encode, apply_b_dec_to_input false
        var z = imported.Sae.Encode(x);
        Assert.True(SaeLensImporter.BitEqual(reference, z));
        Assert.True(SaeLensImporter.BitEqual(z.matmul(t["W_dec"]) + t["b_dec"], imported.Sae.Decode(z)));
    }

    [Fact]
    public void ImportsASaeLensTopKSaeThatRescalesByDecoderNorm()
    {
        using var scope = NewDisposeScope();
        var t = SaeLensTensors("topk", 31);
        // TopKTrainingSAEConfig defaults rescale_acts_by_decoder_norm to true and save_inference_model keeps it.
        var dir = WriteSaeLens("v6-topk", t, V6Cfg("topk", extra: ", \"k\": 5, \"rescale_acts_by_decoder_norm\": true"));
        using var imported = SaeLensImporter.Read(dir);
        Assert.IsType<TopKSae>(imported.Sae);
        Assert.Equal(5, imported.Sae.Config.K);
        var x = Batch(32);
        var reference = SaeLensTopK(t, x, 5, rescale: true, applyBDec: true);
        var z = imported.Sae.Encode(x);
        Assert.Equal((reference != 0).sum().item<long>(), (z != 0).sum().item<long>());
        Assert.True(Same(reference != 0, z != 0), "the same latents fire");
        Assert.True(reference.allclose(z, rtol: 1e-4, atol: 1e-5));
        Assert.True(SaeLensTopKDecode(t, reference, rescale: true).allclose(imported.Sae.Decode(z), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void ImportsASaeLensJumpReluSaeWithItsThresholds()
    {
        using var scope = NewDisposeScope();
        var t = SaeLensTensors("jumprelu", 41);
        t["threshold"][0] = tensor(-0.25f); // SAELens's ReLU makes a negative threshold act as 0
        t["threshold"][1] = tensor(0f);
        var dir = WriteSaeLens("v6-jumprelu", t, V6Cfg("jumprelu"));
        using var imported = SaeLensImporter.Read(dir);
        var jump = Assert.IsType<JumpReluSae>(imported.Sae);
        var thresholds = t["threshold"].clamp_min(0);
        var recovered = jump.log_threshold.detach().exp();
        // exp(log_threshold) is each threshold where float32's exp can reach it, else its neighbour one ulp away.
        var gap = (recovered - thresholds).abs();
        Assert.True((gap <= thresholds * 2.5e-7f).all().item<bool>(), $"largest threshold error {gap.max().item<float>()}");
        Assert.True(recovered.eq(thresholds).sum().item<long>() > M / 2);
        var x = Batch(42, rows: 256);
        var pre = (x - t["b_dec"]).matmul(t["W_enc"]) + t["b_enc"];
        var reference = pre.relu() * (pre > t["threshold"]).to_type(pre.dtype); // JumpReLUSAE.encode
        var z = imported.Sae.Encode(x);
        Assert.True(reference.count_nonzero().item<long>() > 0);
        Assert.True(Same(reference, z));
    }

    [Fact]
    public void ImportsAPre60TopKConfigWithHookPointAndBooleanNormalisation()
    {
        using var scope = NewDisposeScope();
        var t = SaeLensTensors("standard", 51);
        t["scaling_factor"] = ones(M); // SAELens 3.x-5.x saved an all-ones one; read_sae_components_from_disk drops it
        // SAELens 3.x: flat layout, hook_point names, topk as an activation function, boolean normalize_activations.
        var cfg = $$"""{"model_name": "gpt2-small", "hook_point": "blocks.8.hook_resid_pre", "hook_point_layer": 8, "hook_point_head_index": null, "dataset_path": "Skylion007/openwebtext", "is_dataset_tokenized": false, "context_size": 128, "d_in": {{D}}, "d_sae": {{M}}, "b_dec_init_method": "geometric_median", "expansion_factor": 32, "activation_fn": "topk", "activation_fn_kwargs": {"k": 7}, "normalize_activations": false, "apply_b_dec_to_input": true, "dtype": "float32", "device": "cuda", "prepend_bos": true, "sae_lens_training_version": "3.13.0"}""";
        var dir = WriteSaeLens("pre6-topk", t, cfg);
        using var imported = SaeLensImporter.Read(dir);
        Assert.True(imported.Config.PreV6Layout);
        Assert.Equal("topk", imported.Config.Architecture);
        Assert.Equal(7, imported.Sae.Config.K);
        Assert.Equal("blocks.8.hook_resid_pre", imported.Config.HookName);
        Assert.Equal("gpt2-small", imported.Config.ModelName);
        Assert.Equal("none", imported.Config.NormalizeActivations);
        var x = Batch(52);
        Assert.True(SaeLensImporter.BitEqual(SaeLensTopK(t, x, 7, rescale: false, applyBDec: true), imported.Sae.Encode(x)));
    }

    [Fact]
    public void ImportsA5xConfigAsWrittenByTheOldSaeConfigToDict()
    {
        using var scope = NewDisposeScope();
        var t = SaeLensTensors("jumprelu", 61);
        // SAELens 5.x SAEConfig.to_dict(): hook_name/hook_layer, activation_fn_str, architecture, no sae_lens_version.
        var cfg = $$"""{"architecture": "jumprelu", "d_in": {{D}}, "d_sae": {{M}}, "dtype": "float32", "device": "cpu", "model_name": "gemma-2-2b", "hook_name": "blocks.12.hook_resid_post", "hook_layer": 12, "hook_head_index": null, "activation_fn_str": "relu", "activation_fn_kwargs": {}, "apply_b_dec_to_input": false, "finetuning_scaling_factor": false, "sae_lens_training_version": null, "prepend_bos": true, "dataset_path": "monology/pile-uncopyrighted", "dataset_trust_remote_code": true, "context_size": 1024, "normalize_activations": null, "neuronpedia_id": "gemma-2-2b/12-gemmascope-res-16k", "model_from_pretrained_kwargs": {}, "seqpos_slice": [null]}""";
        var dir = WriteSaeLens("v5-jumprelu", t, cfg);
        using var imported = SaeLensImporter.Read(dir);
        Assert.True(imported.Config.PreV6Layout);
        Assert.IsType<JumpReluSae>(imported.Sae);
        Assert.False(imported.Sae.Config.PreEncoderBias);
        Assert.Equal("blocks.12.hook_resid_post", imported.Config.HookName);
        Assert.Equal("gemma-2-2b/12-gemmascope-res-16k", (string?)imported.Config.Metadata["neuronpedia_id"]);
        var x = Batch(62, rows: 256);
        var pre = x.matmul(t["W_enc"]) + t["b_enc"];
        Assert.True(Same(pre.relu() * (pre > t["threshold"]).to_type(pre.dtype), imported.Sae.Encode(x)));
    }

    public static TheoryData<string, string, string> Refused => new()
    {
        { "gated", V6Cfg("gated"), "architecture 'gated'" },
        { "batchtopk", V6Cfg("batchtopk", extra: ", \"k\": 4"), "'batchtopk' is SAELens's training layout" },
        { "layernorm", V6Cfg("standard", normalize: "layer_norm"), "normalize_activations 'layer_norm'" },
        { "constnorm", V6Cfg("standard", normalize: "constant_norm_rescale"), "normalize_activations 'constant_norm_rescale'" },
        { "hookz", V6Cfg("standard", reshape: "hook_z"), "reshape_activations 'hook_z'" },
        { "bigk", V6Cfg("topk", extra: $", \"k\": {M + 1}"), $"k = {M + 1} is more than d_sae" },
        { "dtype", V6Cfg("standard").Replace("\"float32\"", "\"int8\""), "dtype 'int8'" },
        { "notjson", "{\"d_in\": 3,", "not valid JSON" },
        { "nodin", V6Cfg("standard").Replace($"\"d_in\": {D}, ", ""), "d_in is missing" },
        { "tanh", $$"""{"d_in": {{D}}, "d_sae": {{M}}, "activation_fn_str": "tanh-relu", "dtype": "float32"}""", "activation_fn 'tanh-relu'" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusesConfigsItCannotRunNamingTheFileAndField(string name, string cfg, string problem)
    {
        var dir = WriteSaeLens($"bad-{name}", SaeLensTensors("standard", 71), cfg);
        var e = Assert.ThrowsAny<Exception>(() => SaeLensImporter.Read(dir));
        Assert.Contains(Path.Combine(dir, "cfg.json"), e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void RefusesWeightsThatDisagreeWithTheConfig()
    {
        var weights = (string dir) => Path.Combine(dir, "sae_weights.safetensors");
        var t = SaeLensTensors("standard", 81);
        var missing = new Dictionary<string, Tensor>(t);
        missing.Remove("b_enc");
        var dir = WriteSaeLens("missing", missing, V6Cfg("standard"));
        var e = Assert.Throws<InvalidDataException>(() => SaeLensImporter.Read(dir));
        Assert.Equal($"{weights(dir)}: missing tensor 'b_enc' (standard SAE)", e.Message);

        dir = WriteSaeLens("shape", new Dictionary<string, Tensor>(t) { ["W_dec"] = zeros(M, D + 1) }, V6Cfg("standard"));
        e = Assert.Throws<InvalidDataException>(() => SaeLensImporter.Read(dir));
        Assert.StartsWith($"{weights(dir)}: tensor 'W_dec' has shape [{M}, {D + 1}]", e.Message);

        dir = WriteSaeLens("extra", new Dictionary<string, Tensor>(t) { ["b_gate"] = zeros(M) }, V6Cfg("standard"));
        e = Assert.Throws<InvalidDataException>(() => SaeLensImporter.Read(dir));
        Assert.Equal($"{weights(dir)}: unexpected tensor(s) 'b_gate' for a standard SAE", e.Message);

        dir = WriteSaeLens("scaling", new Dictionary<string, Tensor>(t) { ["scaling_factor"] = full(M, 2f) }, V6Cfg("standard"));
        e = Assert.Throws<InvalidDataException>(() => SaeLensImporter.Read(dir));
        Assert.Contains("'scaling_factor'", e.Message);

        dir = WriteSaeLens("nan", new Dictionary<string, Tensor>(t) { ["b_dec"] = full(D, float.NaN) }, V6Cfg("standard"));
        e = Assert.Throws<InvalidDataException>(() => SaeLensImporter.Read(dir));
        Assert.Equal($"{weights(dir)}: tensor 'b_dec' holds NaN or infinite values", e.Message);

        var empty = Dir("empty");
        Directory.CreateDirectory(empty);
        var f = Assert.Throws<FileNotFoundException>(() => SaeLensImporter.Read(empty));
        Assert.StartsWith(Path.Combine(empty, "cfg.json"), f.Message);
    }

    [Fact]
    public void ExactLogGivesEveryReachableThresholdBack()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(7);
        var lt = (rand(4096, generator: gen) * 0.9 + 0.001).log();
        var thresholds = lt.exp(); // reachable by construction, as every exported threshold is
        Assert.True(Same(SaeLensImporter.ExactLog(thresholds).exp(), thresholds));
    }
}
