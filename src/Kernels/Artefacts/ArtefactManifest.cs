using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMInterp.Kernels.Artefacts;

/// <summary>One file of a stored directory.</summary>
/// <param name="Path">Relative path with '/' separators.</param>
public sealed record ManifestEntry(string Path, string Sha256, long Size, string Kind);

/// <summary>
/// A directory (e.g. a model dir: config.json, model.safetensors, tokenizer files) as one artefact: a JSON list of
/// its files' content addresses. Entries are sorted by path and the JSON is written the same way every time, so the
/// same directory contents always give the same manifest hash.
/// </summary>
public sealed record ArtefactManifest(IReadOnlyList<ManifestEntry> Entries)
{
    public const string Format = "mminterp.manifest/1";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
    };

    sealed record Document([property: JsonPropertyName("format")] string Format, [property: JsonPropertyName("entries")] List<ManifestEntry> Entries);

    public byte[] ToJsonBytes() =>
        JsonSerializer.SerializeToUtf8Bytes(new Document(Format, Entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList()), Json);

    /// <summary>Parses and checks a manifest: known format, safe relative paths, valid hashes, no duplicates.</summary>
    public static ArtefactManifest Parse(ReadOnlySpan<byte> json)
    {
        Document? doc;
        try
        {
            doc = JsonSerializer.Deserialize<Document>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"artefact manifest is not valid JSON: {e.Message}", e);
        }
        if (doc is null || doc.Format != Format)
            throw new InvalidDataException($"artefact manifest format must be '{Format}', got '{doc?.Format}'");
        var entries = doc.Entries ?? [];
        foreach (var e in entries)
        {
            CheckRelativePath(e.Path);
            ArtefactHash.Validate(e.Sha256);
            if (e.Size < 0) throw new InvalidDataException($"artefact manifest entry {e.Path} has negative size");
            _ = new ArtefactKind(e.Kind);
        }
        var dup = entries.GroupBy(e => e.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"artefact manifest lists {dup.Key} twice");
        return new ArtefactManifest(entries);
    }

    /// <summary>As <see cref="CheckRelativePath"/>, also allowing "." (the directory itself).</summary>
    internal static void CheckRelativePathOrDot(string path)
    {
        if (path != ".") CheckRelativePath(path);
    }

    /// <summary>Rejects absolute paths and '..' so restoring a manifest cannot write outside its target.</summary>
    internal static void CheckRelativePath(string path)
    {
        if (string.IsNullOrEmpty(path) || path.StartsWith('/') || path.Contains('\\') || path.Contains('\0')
            || path.Split('/').Any(part => part is "" or "." or ".."))
            throw new InvalidDataException($"artefact manifest path '{path}' is not a plain relative path");
    }
}
