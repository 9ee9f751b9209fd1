using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// A zoo checkpoint directory shipped with the code because its recipe trains for longer than the first quickstart's
/// budget on a 2-core machine: embedded in this assembly from Zoo/Shipped/{name}/ (files in subfolders keep their
/// relative paths), with the SHA-256 of every file in manifest.json. Restoring checks every file before writing any.
/// </summary>
public sealed class ShippedCheckpoint(string name, IReadOnlyList<string> files)
{
    public const string ManifestFile = "manifest.json", ZooFile = "zoo.json";

    public string Name { get; } = name;

    /// <summary>The directory's files (relative paths with '/'), in the order the manifest lists them; zoo.json among them.</summary>
    public IReadOnlyList<string> Files { get; } = files;

    /// <summary>zoo.json of the shipped directory (its recipe config, metrics, training time); null when none is shipped.</summary>
    public JsonNode? Zoo => Read(ZooFile) is { } bytes ? JsonNode.Parse(bytes) : null;

    /// <summary>Writes every shipped file into <paramref name="directory"/> after checking each against the manifest.</summary>
    /// <returns>the paths written</returns>
    /// <exception cref="InvalidDataException">a shipped file is missing or does not match its manifest hash</exception>
    public IReadOnlyList<string> Restore(string directory)
    {
        var manifest = (Read(ManifestFile) is { } m ? JsonNode.Parse(m)?["files"]?.AsObject() : null)
            ?? throw new InvalidDataException($"the shipped zoo {Name} has no {ManifestFile}");
        var contents = Files.Select(file =>
        {
            var bytes = Read(file) ?? throw new InvalidDataException($"the shipped zoo {Name} lacks {file}");
            var expected = manifest[file]?.GetValue<string>() ?? throw new InvalidDataException($"the shipped zoo {Name}'s manifest lacks {file}");
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (actual != expected) throw new InvalidDataException($"the shipped zoo {Name}'s {file} has sha256 {actual}, its manifest says {expected}");
            return (file, bytes);
        }).ToList();
        var paths = new List<string>();
        foreach (var (file, bytes) in contents)
        {
            var path = Path.Combine(directory, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The manifest of a built directory holding <see cref="Files"/>: what ships beside them.</summary>
    public string Manifest(string directory) => new JsonObject
    {
        ["files"] = new JsonObject(Files.Select(f => KeyValuePair.Create(f, (JsonNode?)Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(directory, f))))))),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    byte[]? Read(string file)
    {
        using var stream = typeof(ShippedCheckpoint).Assembly.GetManifestResourceStream($"MMInterp.Kernels.Zoo.Shipped.{Name}.{file}");
        if (stream is null) return null;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
