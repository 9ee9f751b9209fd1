namespace MMInterp.Kernels.Datasets;

/// <summary>Opens the reader a SPEC names.</summary>
public static class ImageDatasets
{
    public static FileImageDataset Open(string spec) => Open(ImageDatasetSpec.Parse(spec));

    public static FileImageDataset Open(ImageDatasetSpec spec) => spec.Kind switch
    {
        ImageDatasetKind.Images or ImageDatasetKind.ImageFolder => new FolderImageDataset(spec),
        ImageDatasetKind.Csv or ImageDatasetKind.Jsonl => new TableImageDataset(spec),
        ImageDatasetKind.Parquet => new ParquetImageDataset(spec),
        _ => throw new ArgumentException($"dataset kind {spec.Kind} has no reader"),
    };
}
