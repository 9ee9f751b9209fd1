using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.Datasets;

/// <summary>
/// A dataset read from files under one root directory: what the readers share, and what storing it needs (the files
/// it is made of, relative to <see cref="Root"/>, and the entry file the reader starts from).
/// </summary>
public abstract class FileImageDataset : IImageDataset
{
    public abstract ImageDatasetSpec Spec { get; }
    public abstract string Name { get; }
    public abstract IReadOnlyList<ImageItem> Items { get; }
    public abstract IReadOnlyList<string> LabelNames { get; }
    /// <summary>Decodes the item's file under <see cref="Root"/>; a failure names the item's key.</summary>
    public virtual RgbImage Decode(int index)
    {
        var item = Item(index);
        try
        {
            return ImageDecoder.DecodeFile(System.IO.Path.Combine(Root, item.Key));
        }
        catch (ImageDecodeException e)
        {
            throw new ImageDecodeException(item.Key, e.Problem, e);
        }
    }

    /// <summary>The directory every file of the dataset lies under.</summary>
    public abstract string Root { get; }

    /// <summary>Relative path of what the spec names (the csv/jsonl/parquet file, or "." for a directory).</summary>
    public abstract string Entry { get; }

    /// <summary>Every file the dataset reads (listing files, images that exist), sorted by relative path.</summary>
    public abstract IReadOnlyList<DatasetFile> Files { get; }

    protected ImageItem Item(int index) =>
        index >= 0 && index < Items.Count ? Items[index] : throw new ArgumentOutOfRangeException(nameof(index), $"item {index} is outside the dataset's {Items.Count} items");

    /// <summary>Path relative to <paramref name="root"/> with '/' separators.</summary>
    public static string Relative(string root, string path) => System.IO.Path.GetRelativePath(root, path).Replace(System.IO.Path.DirectorySeparatorChar, '/');
}
