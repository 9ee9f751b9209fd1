using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Reads and writes diffusers' unet/config.json (UNet2DConditionModel). Absent fields take diffusers' defaults.
/// Heads: num_attention_heads when set, else attention_head_dim, which in diffusers' SD configs is the head count
/// (its long-standing naming slip: SD 1.x says 8, SD 2.x [5, 10, 20, 20]); an int applies to every level.
/// Fields that would change the computation in ways this U-Net does not implement are refused by name. Every problem
/// is one ArgumentException line starting with the file.
/// </summary>
public static class UNetConfigJson
{
    // Fields this U-Net implements only at diffusers' default value (null: must be absent or null).
    static readonly (string Key, JsonNode? Default)[] Fixed =
    [
        ("act_fn", "silu"), ("center_input_sample", false), ("class_embed_type", null), ("num_class_embeds", null),
        ("class_embeddings_concat", false), ("conv_in_kernel", 3), ("conv_out_kernel", 3), ("downsample_padding", 1),
        ("dual_cross_attention", false), ("encoder_hid_dim", null), ("encoder_hid_dim_type", null),
        ("mid_block_only_cross_attention", null), ("mid_block_scale_factor", 1), ("mid_block_type", UNetConfig.MidCrossAttn),
        ("only_cross_attention", false), ("resnet_out_scale_factor", 1), ("resnet_skip_time_act", false),
        ("resnet_time_scale_shift", "default"), ("time_cond_proj_dim", null), ("time_embedding_act_fn", null),
        ("time_embedding_type", "positional"), ("timestep_post_act", null), ("attention_type", "default"),
        ("cross_attention_norm", null), ("reverse_transformer_layers_per_block", null), ("attention_bias", false),
    ];

    public static UNetConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"U-Net config not found: {path}", path);
        JsonObject root;
        try { root = JsonFiles.ReadObject(path); }
        catch (Exception e) when (e is JsonException or InvalidDataException) { throw new ArgumentException($"{path}: not a JSON object ({JsonFiles.Line(e.Message)})"); }
        return Read(root, path);
    }

    /// <summary>The config in <paramref name="root"/>; errors are one line starting with <paramref name="path"/>.</summary>
    public static UNetConfig Read(JsonObject root, string path)
    {
        try
        {
            var cls = String(root, "_class_name");
            if (cls is not (null or "UNet2DConditionModel"))
                throw new ArgumentException($"_class_name {JsonFiles.Quote(cls)} is not UNet2DConditionModel");
            foreach (var (key, fallback) in Fixed)
                if (root[key] is { } node && !Same(node, fallback))
                    throw new ArgumentException($"{key} {node.ToJsonString()} is not supported (only {JsonFiles.Quote(fallback)})", key);
            var channels = IntList(root, "block_out_channels") is { Count: > 0 } list ? list : [320, 640, 1280, 1280];
            var levels = channels.Count;
            if (root["layers_per_block"] is JsonArray) throw new ArgumentException("layers_per_block as a list is not supported (one count for every level)", "layers_per_block");
            if (root["cross_attention_dim"] is JsonArray) throw new ArgumentException("cross_attention_dim as a list is not supported", "cross_attention_dim");
            var heads = root["num_attention_heads"] is null ? PerLevel(root, "attention_head_dim", 8, levels) : PerLevel(root, "num_attention_heads", 8, levels);
            var addition = String(root, "addition_embed_type");
            var config = new UNetConfig
            {
                InChannels = Int(root, "in_channels", 4),
                OutChannels = Int(root, "out_channels", 4),
                BlockOutChannels = channels,
                LayersPerBlock = Int(root, "layers_per_block", 2),
                DownBlockTypes = Strings(root, "down_block_types") ?? [UNetConfig.CrossAttnDown, UNetConfig.CrossAttnDown, UNetConfig.CrossAttnDown, UNetConfig.Down],
                UpBlockTypes = Strings(root, "up_block_types") ?? [UNetConfig.Up, UNetConfig.CrossAttnUp, UNetConfig.CrossAttnUp, UNetConfig.CrossAttnUp],
                HeadCounts = heads,
                TransformerLayersPerBlock = PerLevel(root, "transformer_layers_per_block", 1, levels),
                CrossAttentionDim = Int(root, "cross_attention_dim", 1280),
                UseLinearProjection = Bool(root, "use_linear_projection", false),
                NormNumGroups = Int(root, "norm_num_groups", 32),
                NormEps = Double(root, "norm_eps", 1e-5),
                FlipSinToCos = Bool(root, "flip_sin_to_cos", true),
                FreqShift = Double(root, "freq_shift", 0),
                TimeEmbeddingDim = IntOrNull(root, "time_embedding_dim"),
                AdditionEmbedType = addition,
                AdditionTimeEmbedDim = addition is null ? 0 : Int(root, "addition_time_embed_dim", 0),
                ProjectionClassEmbeddingsInputDim = addition is null ? 0 : Int(root, "projection_class_embeddings_input_dim", 0),
                SampleSize = root["sample_size"] is JsonArray ? null : IntOrNull(root, "sample_size"),
            };
            if (config.DownBlockTypes.Count != levels || config.UpBlockTypes.Count != levels)
                throw new ArgumentException($"down_block_types ({config.DownBlockTypes.Count}) and up_block_types ({config.UpBlockTypes.Count}) must each have one entry per block_out_channels entry ({levels})");
            return config.Validate();
        }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"{path}: a field has the wrong JSON type ({JsonFiles.Line(e.Message)})");
        }
    }

    /// <summary>Writes the config as diffusers does (the head counts under attention_head_dim, as SD configs have them).</summary>
    public static void Write(UNetConfig c, string path)
    {
        var o = new JsonObject
        {
            ["_class_name"] = "UNet2DConditionModel",
            ["act_fn"] = "silu",
            ["attention_head_dim"] = Array(c.HeadCounts),
            ["block_out_channels"] = Array(c.BlockOutChannels),
            ["cross_attention_dim"] = c.CrossAttentionDim,
            ["down_block_types"] = new JsonArray(c.DownBlockTypes.Select(t => (JsonNode?)t).ToArray()),
            ["flip_sin_to_cos"] = c.FlipSinToCos,
            ["freq_shift"] = c.FreqShift,
            ["in_channels"] = c.InChannels,
            ["layers_per_block"] = c.LayersPerBlock,
            ["mid_block_type"] = UNetConfig.MidCrossAttn,
            ["norm_eps"] = c.NormEps,
            ["norm_num_groups"] = c.NormNumGroups,
            ["out_channels"] = c.OutChannels,
            ["sample_size"] = c.SampleSize,
            ["time_embedding_dim"] = c.TimeEmbeddingDim,
            ["transformer_layers_per_block"] = Array(c.TransformerLayersPerBlock),
            ["up_block_types"] = new JsonArray(c.UpBlockTypes.Select(t => (JsonNode?)t).ToArray()),
            ["use_linear_projection"] = c.UseLinearProjection,
            ["addition_embed_type"] = c.AdditionEmbedType,
        };
        if (c.TextTime)
        {
            o["addition_time_embed_dim"] = c.AdditionTimeEmbedDim;
            o["projection_class_embeddings_input_dim"] = c.ProjectionClassEmbeddingsInputDim;
        }
        File.WriteAllText(path, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    static JsonArray Array(IReadOnlyList<int> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    /// <summary>An int for every level, or a list with one per level.</summary>
    static IReadOnlyList<int> PerLevel(JsonObject o, string key, int fallback, int levels)
    {
        if (o[key] is JsonArray a)
        {
            if (a.Any(x => x is JsonArray)) throw new ArgumentException($"{key} as nested lists is not supported", key);
            var list = IntList(o, key);
            if (list.Count != levels) throw new ArgumentException($"{key} has {list.Count} entries but block_out_channels has {levels}", key);
            return list;
        }
        return Enumerable.Repeat(Int(o, key, fallback), levels).ToList();
    }

    static IReadOnlyList<string>? Strings(JsonObject o, string key)
    {
        if (o[key] is null) return null;
        if (o[key] is not JsonArray a) throw new ArgumentException($"{key} must be a list of block type names, got {JsonFiles.Quote(o[key])}", key);
        return a.Select((x, i) => x is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new ArgumentException($"{key}[{i}] must be a block type name, got {JsonFiles.Quote(x)}", key)).ToList();
    }

    static bool Same(JsonNode node, JsonNode? fallback)
    {
        if (fallback is null) return node is JsonValue v0 && v0.GetValueKind() == JsonValueKind.Null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && fallback.GetValueKind() == JsonValueKind.Number)
            return double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture) ==
                   double.Parse(fallback.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
        return JsonNode.DeepEquals(node, fallback);
    }
}
