namespace MMInterp.Kernels.Datasets;

/// <summary>One entry of an image dataset: its stable key (relative path, or parquet file + row), an optional
/// caption and an optional label (an index into <see cref="IImageDataset.LabelNames"/>).</summary>
public sealed record ImageItem(int Index, string Key, string? Caption, int? Label);
