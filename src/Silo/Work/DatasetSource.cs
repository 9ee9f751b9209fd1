using System.Collections.Concurrent;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Datasets;

namespace MMInterp.Silo.Work;

/// <summary>
/// Registered datasets opened on this silo: the stored files are unpacked once under the cache root (verified,
/// keyed by content hash) and read by the same reader that listed them at registration, so items and labels agree
/// on every silo.
/// </summary>
public sealed class DatasetSource(RegistryStore registry, ArtefactCache artefacts)
{
    readonly ConcurrentDictionary<string, Lazy<Task<IImageDataset>>> _open = new();

    public Task<IImageDataset> OpenAsync(string datasetId, CancellationToken ct) =>
        _open.GetOrAdd(datasetId, id => new Lazy<Task<IImageDataset>>(() => LoadAsync(id, ct))).Value;

    async Task<IImageDataset> LoadAsync(string datasetId, CancellationToken ct)
    {
        try
        {
            var record = await registry.Datasets.GetAsync(datasetId, ct) ?? throw new ArgumentException($"dataset '{datasetId}' is not registered");
            var dir = await artefacts.DirectoryAsync(record.ContentSha256, ct);
            var dataset = DatasetStorage.OpenRestored(dir);
            if (dataset.Items.Count != record.ItemCount)
                throw new InvalidDataException($"dataset {datasetId}: the stored files list {dataset.Items.Count} items, the registry {record.ItemCount}");
            return new NamedDataset(record.Name, dataset);
        }
        catch
        {
            _open.TryRemove(datasetId, out _); // let the next call retry
            throw;
        }
    }

    /// <summary>The stored dataset under its registered name.</summary>
    sealed class NamedDataset(string name, IImageDataset inner) : IImageDataset
    {
        public string Name => name;
        public IReadOnlyList<ImageItem> Items => inner.Items;
        public IReadOnlyList<string> LabelNames => inner.LabelNames;
        public Kernels.Images.RgbImage Decode(int index) => inner.Decode(index);
    }
}
