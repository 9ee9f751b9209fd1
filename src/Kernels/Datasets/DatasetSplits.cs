using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MMInterp.Kernels.Datasets;

/// <summary>
/// Deterministic train/val/test splits of a user dataset (80/10/10) by the SHA-256 of each item's key: an item stays
/// in its split however the dataset grows or is reordered, on every machine. "all" is the whole dataset.
/// </summary>
public static class DatasetSplits
{
    public static readonly IReadOnlyList<string> Names = ["train", "val", "test", "all"];

    public static string Of(string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        var u = BinaryPrimitives.ReadUInt64BigEndian(hash) / (double)ulong.MaxValue;
        return u < 0.8 ? "train" : u < 0.9 ? "val" : "test";
    }

    /// <summary>Indices of the split's items, in dataset order.</summary>
    public static IReadOnlyList<int> Indices(IImageDataset dataset, string split)
    {
        if (!Names.Contains(split)) throw new ArgumentException($"dataset split '{split}' must be one of {string.Join(", ", Names)}");
        return split == "all"
            ? Enumerable.Range(0, dataset.Items.Count).ToList()
            : dataset.Items.Where(i => Of(i.Key) == split).Select(i => i.Index).ToList();
    }
}
