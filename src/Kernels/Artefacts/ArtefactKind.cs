namespace MMInterp.Kernels.Artefacts;

/// <summary>
/// What an artefact holds (safetensors, json, manifest, ...). A short lowercase token rather than an enum,
/// so new producers (activation shards, pictures) need no change here; the store itself only cares about bytes.
/// </summary>
public readonly record struct ArtefactKind
{
    public static readonly ArtefactKind Binary = new("binary");
    public static readonly ArtefactKind Safetensors = new("safetensors");
    public static readonly ArtefactKind Json = new("json");
    public static readonly ArtefactKind Text = new("text");
    public static readonly ArtefactKind Png = new("png");
    /// <summary>A directory: a JSON list of (relative path, sha256, size, kind) for its files.</summary>
    public static readonly ArtefactKind Manifest = new("manifest");

    public string Name { get; }

    public ArtefactKind(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !char.IsAsciiLetterLower(name[0])
            || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '_'))
            throw new ArgumentException($"artefact kind must be 1-64 chars of [a-z0-9._-] starting with a letter, got '{name}'");
        Name = name;
    }

    /// <summary>A guess from a file name, used when a directory is stored file by file.</summary>
    public static ArtefactKind FromFileName(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".safetensors" => Safetensors,
        ".json" => Json,
        ".txt" or ".md" or ".csv" => Text,
        ".png" => Png,
        _ => Binary,
    };

    public override string ToString() => Name ?? "binary";
}
