using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Reads and writes diffusers' vae/config.json (AutoencoderKL). Absent fields take diffusers' defaults; what this
/// model does not implement (another _class_name, act_fn other than silu, block types other than the plain
/// encoder/decoder blocks, latents_mean/std) is refused by name. Errors are one line starting with the file.
/// </summary>
public static class AutoencoderKlConfigJson
{
    public const string ClassName = "AutoencoderKL";

    public static AutoencoderKlConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"autoencoder config not found: {path}", path);
        return Read(JsonFiles.ReadObject(path), path);
    }

    public static AutoencoderKlConfig Read(JsonObject root, string path)
    {
        try
        {
            var type = String(root, "_class_name") ?? ClassName;
            if (type != ClassName) throw new ArgumentException($"_class_name {JsonFiles.Quote(type)} is not {ClassName}");
            var act = String(root, "act_fn") ?? "silu";
            if (act != "silu") throw new ArgumentException($"act_fn {JsonFiles.Quote(act)} is not supported (only silu)");
            foreach (var key in new[] { "latents_mean", "latents_std" })
                if (root[key] is not null) throw new ArgumentException($"{key} is set; per-channel latent statistics are not supported");
            var widths = IntList(root, "block_out_channels");
            var config = new AutoencoderKlConfig
            {
                InChannels = Int(root, "in_channels", 3),
                OutChannels = Int(root, "out_channels", 3),
                BlockOutChannels = root["block_out_channels"] is null ? [64] : widths,
                LayersPerBlock = Int(root, "layers_per_block", 1),
                LatentChannels = Int(root, "latent_channels", 4),
                NormNumGroups = Int(root, "norm_num_groups", 32),
                ScalingFactor = Double(root, "scaling_factor", 0.18215),
                ShiftFactor = root["shift_factor"] is null ? null : Number(root, "shift_factor"),
                DownBlockTypes = Strings(root, "down_block_types") ?? [AutoencoderKlConfig.DownBlock],
                UpBlockTypes = Strings(root, "up_block_types") ?? [AutoencoderKlConfig.UpBlock],
                UseQuantConv = Bool(root, "use_quant_conv", true),
                UsePostQuantConv = Bool(root, "use_post_quant_conv", true),
                MidBlockAddAttention = Bool(root, "mid_block_add_attention", true),
                SampleSize = SampleSize(root),
            };
            return config.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong JSON type ({JsonFiles.Line(e.Message)})");
        }
    }

    /// <summary>A list of strings; null when absent.</summary>
    static IReadOnlyList<string>? Strings(JsonObject o, string key)
    {
        switch (o[key])
        {
            case null: return null;
            case JsonArray a:
                var list = new List<string>();
                for (var i = 0; i < a.Count; i++)
                    list.Add(a[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                        : throw new ArgumentException($"{key}[{i}] must be a string, got {JsonFiles.Quote(a[i])}", key));
                return list;
            default: throw new ArgumentException($"{key} must be a list of strings, got {JsonFiles.Quote(o[key])}", key);
        }
    }

    /// <summary>sample_size is an integer or [height, width]; only its first entry is kept (it does not change the
    /// computation).</summary>
    static int SampleSize(JsonObject root) => root["sample_size"] is JsonArray ? IntList(root, "sample_size").FirstOrDefault(32) : Int(root, "sample_size", 32);

    public static JsonObject ToJson(AutoencoderKlConfig c)
    {
        var root = new JsonObject
        {
            ["_class_name"] = ClassName, ["act_fn"] = "silu",
            ["block_out_channels"] = new JsonArray(c.BlockOutChannels.Select(w => (JsonNode?)w).ToArray()),
            ["down_block_types"] = new JsonArray(c.DownBlockTypes.Select(t => (JsonNode?)t).ToArray()),
            ["up_block_types"] = new JsonArray(c.UpBlockTypes.Select(t => (JsonNode?)t).ToArray()),
            ["in_channels"] = c.InChannels, ["out_channels"] = c.OutChannels, ["latent_channels"] = c.LatentChannels,
            ["layers_per_block"] = c.LayersPerBlock, ["norm_num_groups"] = c.NormNumGroups, ["sample_size"] = c.SampleSize,
            ["scaling_factor"] = c.ScalingFactor, ["use_quant_conv"] = c.UseQuantConv, ["use_post_quant_conv"] = c.UsePostQuantConv,
            ["mid_block_add_attention"] = c.MidBlockAddAttention,
        };
        if (c.ShiftFactor is double s) root["shift_factor"] = s;
        return root;
    }

    public static void Write(AutoencoderKlConfig c, string path) =>
        File.WriteAllText(path, ToJson(c).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}
