namespace MMInterp.Kernels.Datasets;

/// <summary>The kinds of user dataset a SPEC can name.</summary>
public enum ImageDatasetKind { Images, ImageFolder, Jsonl, Csv, Parquet }

/// <summary>
/// A user dataset named as KIND:PATH: <c>images:DIR</c>, <c>imagefolder:DIR</c>, <c>jsonl:FILE</c>, <c>csv:FILE</c>,
/// <c>parquet:PATH</c> (a file or a directory of parquet files). Parsing checks the syntax and that the path exists.
/// </summary>
public sealed record ImageDatasetSpec(ImageDatasetKind Kind, string Path)
{
    public static readonly IReadOnlyDictionary<string, ImageDatasetKind> Kinds = new Dictionary<string, ImageDatasetKind>
    {
        ["images"] = ImageDatasetKind.Images, ["imagefolder"] = ImageDatasetKind.ImageFolder, ["jsonl"] = ImageDatasetKind.Jsonl,
        ["csv"] = ImageDatasetKind.Csv, ["parquet"] = ImageDatasetKind.Parquet,
    };

    public static string KindName(ImageDatasetKind kind) => Kinds.First(kv => kv.Value == kind).Key;

    /// <summary>Whether the text looks like KIND:PATH with a known kind (not whether the path exists).</summary>
    public static bool LooksLikeSpec(string text)
    {
        var colon = text.IndexOf(':');
        return colon > 0 && Kinds.ContainsKey(text[..colon]);
    }

    public static ImageDatasetSpec Parse(string text)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            throw new ArgumentException($"dataset '{text}' must look like KIND:PATH with KIND one of {string.Join(", ", Kinds.Keys)}");
        var kindText = text[..colon];
        if (!Kinds.TryGetValue(kindText, out var kind))
            throw new ArgumentException($"dataset kind '{kindText}' is unknown; use one of {string.Join(", ", Kinds.Keys)}");
        var path = System.IO.Path.GetFullPath(text[(colon + 1)..]);
        var wantsDirectory = kind is ImageDatasetKind.Images or ImageDatasetKind.ImageFolder;
        var wantsFile = kind is ImageDatasetKind.Jsonl or ImageDatasetKind.Csv;
        if (wantsDirectory && !Directory.Exists(path)) throw new DirectoryNotFoundException($"dataset {kindText}:{path}: no such directory");
        if (wantsFile && !File.Exists(path)) throw new FileNotFoundException($"dataset {kindText}:{path}: no such file", path);
        if (kind is ImageDatasetKind.Parquet && !File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"dataset {kindText}:{path}: no such file or directory", path);
        return new ImageDatasetSpec(kind, path);
    }

    public override string ToString() => $"{KindName(Kind)}:{Path}";
}
