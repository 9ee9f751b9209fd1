using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// The zoo CLIP of the default recipe, shipped with the code: it trains for longer than the first quickstart's budget
/// on a 2-core machine (bench/RESULTS.md, "A zoo CLIP that reads"), so the repository carries its checkpoint (a few MB,
/// embedded in this assembly from Zoo/Shipped/clip) with the SHA-256 of every file in manifest.json. A build of exactly
/// the shipped config restores it instead of training; `ShippedClipTests` checks that the recipe still rebuilds it
/// bit for bit.
/// </summary>
public static class ShippedClip
{
    const string Prefix = "MMInterp.Kernels.Zoo.Shipped.clip.";
    public const string ManifestFile = "manifest.json";

    /// <summary>The files of a zoo CLIP directory, in the order the manifest lists them.</summary>
    public static readonly string[] Files = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "zoo.json"];

    /// <summary>The config the shipped checkpoint was trained with (null when none is shipped).</summary>
    public static ClipZooConfig? Config => ReadZoo() is { } zoo ? zoo["config"].Deserialize<ClipZooConfig>() : null;

    /// <summary>Writes the shipped checkpoint into <paramref name="directory"/> when <paramref name="config"/> is the
    /// shipped one, after checking every file against the manifest; null when another config is asked for.</summary>
    /// <exception cref="InvalidDataException">a shipped file does not match its manifest hash</exception>
    public static ClipZooResult? TryRestore(ClipZooConfig config, string directory)
    {
        if (ReadZoo() is not { } zoo || zoo["config"].Deserialize<ClipZooConfig>() != config) return null;
        var manifest = JsonNode.Parse(Read(ManifestFile)!)!["files"]!.AsObject();
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var file in Files)
        {
            var bytes = Read(file) ?? throw new InvalidDataException($"the shipped zoo CLIP lacks {file}");
            var expected = manifest[file]?.GetValue<string>() ?? throw new InvalidDataException($"the shipped zoo CLIP's manifest lacks {file}");
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (actual != expected) throw new InvalidDataException($"the shipped zoo CLIP's {file} has sha256 {actual}, its manifest says {expected}");
            var path = Path.Combine(directory, file);
            File.WriteAllBytes(path, bytes);
            paths.Add(path);
        }
        var metrics = zoo["metrics"].Deserialize<ClipMetrics>() ?? throw new InvalidDataException("the shipped zoo CLIP's zoo.json has no metrics");
        return new ClipZooResult(config, metrics, directory, paths, zoo["train_seconds"]?.GetValue<double>() ?? double.NaN, zoo["final_loss"]?.GetValue<double>() ?? double.NaN);
    }

    /// <summary>The manifest of a built directory: each file's SHA-256 (what `ShippedClip` ships beside the files).</summary>
    public static string Manifest(string directory) => new JsonObject
    {
        ["files"] = new JsonObject(Files.Select(f => KeyValuePair.Create(f, (JsonNode?)Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(directory, f))))))),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    static JsonNode? ReadZoo() => Read("zoo.json") is { } bytes ? JsonNode.Parse(bytes) : null;

    static byte[]? Read(string file)
    {
        using var stream = typeof(ShippedClip).Assembly.GetManifestResourceStream(Prefix + file);
        if (stream is null) return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
