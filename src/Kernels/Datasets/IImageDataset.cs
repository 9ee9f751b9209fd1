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
