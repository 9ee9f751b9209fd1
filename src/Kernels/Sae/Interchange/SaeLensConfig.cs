using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Sae.Interchange;

/// <summary>
/// cfg.json brought to SAELens 6's layout, as SAELens's handle_config_defaulting does: a config without
/// metadata.sae_lens_version (or an older one) is the flat pre-6.0 layout and goes through the same renames and
/// defaults as handle_pre_6_0_config (hook_point -> hook_name, activation_fn_str -> activation_fn, a "topk"
/// activation with activation_fn_kwargs.k -> architecture "topk", boolean normalize_activations -> "none" /
/// "expected_average_only_in", LLM fields -> metadata).
/// </summary>
public sealed record SaeLensConfig(
    string Architecture,
    int DIn,
    int DSae,
    string DType,
    bool ApplyBDecToInput,
    string NormalizeActivations,
    string ReshapeActivations,
    int? K,
    bool RescaleActsByDecoderNorm,
    bool FinetuningScalingFactor,
    JsonObject Metadata,
    bool PreV6Layout)
{
    static readonly string[] LlmMetadataKeys =
    [
        "model_name", "hook_name", "model_class_name", "hook_head_index", "model_from_pretrained_kwargs", "prepend_bos",
        "exclude_special_tokens", "neuronpedia_id", "context_size", "seqpos_slice", "dataset_path", "sae_lens_version",
        "sae_lens_training_version", "hook_name_out", "hook_head_index_out",
    ];

    static readonly string[] DTypes = ["float32", "float64", "float16", "bfloat16", "torch.float32", "torch.float64", "torch.float16", "torch.bfloat16"];

    public string? HookName => Metadata["hook_name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    public string? ModelName => Metadata["model_name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The config as SAELens 6 would hold it (SAEConfig.to_dict).</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["d_in"] = DIn, ["d_sae"] = DSae, ["dtype"] = DType, ["device"] = "cpu", ["apply_b_dec_to_input"] = ApplyBDecToInput,
            ["normalize_activations"] = NormalizeActivations, ["reshape_activations"] = ReshapeActivations,
            ["metadata"] = Metadata.DeepClone(),
        };
        if (Architecture == SaeLensFormat.TopK)
        {
            o["k"] = K;
            o["rescale_acts_by_decoder_norm"] = RescaleActsByDecoderNorm;
        }
        o["architecture"] = Architecture;
        return o;
    }

    /// <summary>Reads and normalises cfg.json; a bad field throws InvalidDataException naming the file and the field.</summary>
    public static SaeLensConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (a SAELens SAE directory holds {SaeLensFormat.ConfigFile} and {SaeLensFormat.WeightsFile})", path);
        var raw = IO.JsonFiles.ReadObject(path);
        try { return Parse(raw, path); }
        catch (InvalidOperationException e) { throw new InvalidDataException($"{path}: a field is not valid text ({IO.JsonFiles.Line(e.Message)})", e); }
    }

    public static SaeLensConfig Parse(JsonObject raw, string path)
    {
        var version = Str(raw, "sae_lens_version", path) ?? (raw["metadata"] as JsonObject is { } m ? Str(m, "sae_lens_version", path) : null);
        var preV6 = !IsV6(version);
        var cfg = preV6 ? PreV6(raw, path) : raw;
        var architecture = Str(cfg, "architecture", path) ?? "standard";
        var dIn = PositiveInt(cfg, "d_in", path);
        var dSae = PositiveInt(cfg, "d_sae", path);
        var dtype = Str(cfg, "dtype", path) ?? "float32";
        if (!DTypes.Contains(dtype)) throw new InvalidDataException($"{path}: dtype '{dtype}' is not one SAELens knows ({string.Join(", ", DTypes)})");
        int? k = null;
        if (architecture == SaeLensFormat.TopK)
        {
            // TopKSAEConfig's default k is 100.
            k = cfg["k"] is null ? 100 : PositiveInt(cfg, "k", path);
            if (k > dSae) throw new InvalidDataException($"{path}: k = {k} is more than d_sae = {dSae}");
        }
        var metadata = cfg["metadata"] switch
        {
            null => new JsonObject(),
            JsonObject o => (JsonObject)o.DeepClone(),
            _ => throw new InvalidDataException($"{path}: metadata must be an object"),
        };
        return new SaeLensConfig(architecture, dIn, dSae, dtype,
            Bool(cfg, "apply_b_dec_to_input", true, path),
            Str(cfg, "normalize_activations", path) ?? "none",
            Str(cfg, "reshape_activations", path) ?? "none",
            k,
            Bool(cfg, "rescale_acts_by_decoder_norm", false, path),
            Bool(raw, "finetuning_scaling_factor", false, path),
            metadata, preV6);
    }

    /// <summary>SAELens compares against Version("6.0.0-rc.0"); every 6.x release and pre-release is at or above it.</summary>
    static bool IsV6(string? version)
    {
        if (string.IsNullOrWhiteSpace(version)) return false;
        var digits = new string(version.TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(digits, out var major) && major >= 6;
    }

    static JsonObject PreV6(JsonObject raw, string path)
    {
        var renames = new Dictionary<string, string> { ["hook_point"] = "hook_name", ["hook_point_head_index"] = "hook_head_index", ["activation_fn_str"] = "activation_fn" };
        var c = new JsonObject();
        foreach (var (key, value) in raw) c[renames.GetValueOrDefault(key, key)] = value?.DeepClone();
        c["apply_b_dec_to_input"] ??= true;
        c["activation_fn"] ??= "relu";
        c["architecture"] ??= "standard";
        var activation = Str(c, "activation_fn", path);
        var kwargs = c["activation_fn_kwargs"] as JsonObject;
        if (activation == "topk" && kwargs?["k"] is not null) c["architecture"] = SaeLensFormat.TopK;
        if (Str(c, "architecture", path) == SaeLensFormat.TopK && kwargs?["k"] is { } kk) c["k"] = kk.DeepClone();
        // SAELens 6 runs standard SAEs with ReLU whatever an old config says; say so instead of changing the maths.
        if (activation is not ("relu" or "topk"))
            throw new InvalidDataException($"{path}: activation_fn '{activation}' is not one SAELens 6 runs (relu, topk)");
        if (c["normalize_activations"] is JsonValue b && b.TryGetValue<bool>(out var flag)) c["normalize_activations"] = flag ? "expected_average_only_in" : "none";
        c["normalize_activations"] ??= "none";
        c["reshape_activations"] ??= (Str(c, "hook_name", path) ?? "").Contains("hook_z", StringComparison.Ordinal) ? "hook_z" : "none";
        var metadata = new JsonObject();
        foreach (var key in LlmMetadataKeys)
            if (c.ContainsKey(key)) metadata[key] = c[key]?.DeepClone();
        c["metadata"] = metadata;
        return c;
    }

    static string? Str(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        // A control character in a name would split the one-line error that echoes it, and is in no SAELens name.
        JsonValue v when v.TryGetValue<string>(out var s) && !s.Any(char.IsControl) => s,
        _ => throw new InvalidDataException($"{path}: {key} must be a string without control characters, got {o[key]!.ToJsonString()}"),
    };

    static bool Bool(JsonObject o, string key, bool fallback, string path) => o[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw new InvalidDataException($"{path}: {key} must be true or false, got {o[key]!.ToJsonString()}"),
    };

    static int PositiveInt(JsonObject o, string key, string path)
    {
        if (o[key] is not JsonValue v) throw new InvalidDataException($"{path}: {key} is missing");
        if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d >= 1 && d <= int.MaxValue) return (int)d;
        if (v.TryGetValue<int>(out var i) && i >= 1) return i;
        if (v.TryGetValue<long>(out var l) && l >= 1 && l <= int.MaxValue) return (int)l;
        throw new InvalidDataException($"{path}: {key} must be a positive integer, got {v.ToJsonString()}");
    }
}
