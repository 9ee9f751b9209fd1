using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.Datasets;

/// <summary>
/// A user's images, listed once (in a deterministic order) and decoded on demand. Decoding a file that is missing,
/// unreadable or not an image throws <see cref="ImageDecodeException"/> naming it; callers that run over many images
/// count and name such items and skip them rather than fail.
/// </summary>
public interface IImageDataset
{
    string Name { get; }
    IReadOnlyList<ImageItem> Items { get; }
    /// <summary>Empty when the dataset has no labels.</summary>
    IReadOnlyList<string> LabelNames { get; }
    RgbImage Decode(int index);
}

/// <summary>An item that could not be read or decoded; the message names the item's key and the problem.</summary>
public sealed class ImageDecodeException(string key, string problem, Exception? inner = null)
    : IOException($"{key}: {problem}", inner)
{
    public string Key { get; } = key;
    public string Problem { get; } = problem;
}
