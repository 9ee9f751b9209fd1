using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.Datasets;

/// <summary>
/// <c>images:DIR</c> (every jpg/jpeg/png/webp/bmp/gif under DIR, recursively) and <c>imagefolder:DIR</c> (one
/// subfolder per class, label names the sorted folder names, as torchvision's ImageFolder). Order is the ordinal
/// order of relative paths, so it is the same on every machine. Names starting with '.' are skipped (hidden files,
/// tool caches); a class folder with no image is not a class (a stored copy could not keep it).
/// </summary>
public sealed class FolderImageDataset : FileImageDataset
{
    readonly List<ImageItem> _items = [];
    readonly List<DatasetFile> _files = [];

    public FolderImageDataset(ImageDatasetSpec spec)
    {
        if (spec.Kind is not (ImageDatasetKind.Images or ImageDatasetKind.ImageFolder))
            throw new ArgumentException($"{spec} is not a folder dataset");
        Spec = spec;
        Root = spec.Path;
        if (!Directory.Exists(Root)) throw new DirectoryNotFoundException($"dataset {spec}: no such directory");
        var images = ListImages(Root);
        if (spec.Kind == ImageDatasetKind.ImageFolder)
        {
            var classes = images.Select(i => i.RelativePath.Split('/')).Where(p => p.Length > 1).Select(p => p[0])
                .Distinct().Order(StringComparer.Ordinal).ToList();
            if (classes.Count == 0) throw new InvalidDataException($"dataset {spec}: no class subfolder holds an image");
            var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
            images = images.Where(i => i.RelativePath.Contains('/')).ToList();
            LabelNames = classes;
            foreach (var f in images) _items.Add(new ImageItem(_items.Count, f.RelativePath, null, index[f.RelativePath[..f.RelativePath.IndexOf('/')]]));
        }
        else
        {
            LabelNames = [];
            foreach (var f in images) _items.Add(new ImageItem(_items.Count, f.RelativePath, null, null));
        }
        if (_items.Count == 0) throw new InvalidDataException($"dataset {spec}: no jpg/png/webp/bmp/gif image under it");
        _files.AddRange(images);
    }

    public override ImageDatasetSpec Spec { get; }
    public override string Name => System.IO.Path.GetFileName(Root.TrimEnd('/'));
    public override IReadOnlyList<ImageItem> Items => _items;
    public override IReadOnlyList<string> LabelNames { get; }
    public override string Root { get; }
    public override string Entry => ".";
    public override IReadOnlyList<DatasetFile> Files => _files;

    static List<DatasetFile> ListImages(string root)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden, IgnoreInaccessible = true };
        return Directory.EnumerateFiles(root, "*", options)
            .Select(f => new DatasetFile(Relative(root, f), f))
            .Where(f => ImageDecoder.IsImagePath(f.FullPath) && !f.RelativePath.Split('/').Any(p => p.StartsWith('.')))
            .OrderBy(f => f.RelativePath, StringComparer.Ordinal)
            .ToList();
    }
}
