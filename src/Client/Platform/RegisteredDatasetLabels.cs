using MMInterp.Grains.Registry;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;

namespace MMInterp.Client.Platform;

/// <summary>A registered dataset as far as a client needs it to name a vocabulary (--vocab dataset): its name and
/// class names. Its images live in the artefact store and are read by the silo that runs the analysis.</summary>
public sealed class RegisteredDatasetLabels(DatasetRecord record) : IImageDataset
{
    public string Name => record.Name;
    public IReadOnlyList<ImageItem> Items => [];
    public IReadOnlyList<string> LabelNames => record.LabelNames;
    public RgbImage Decode(int index) => throw new InvalidOperationException($"dataset {record.Id}: images are decoded on the silo, not the client");
}
