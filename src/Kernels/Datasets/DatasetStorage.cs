using System.Text.Json;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Kernels.Datasets;

/// <summary>What storing a dataset produced: the manifest (its hash is the dataset's content hash) and counts.</summary>
public sealed record StoredDataset(ArtefactRef Manifest, ArtefactManifest Entries, string Kind, int Items, IReadOnlyList<string> LabelNames, long Bytes);

/// <summary>
/// A dataset in the artefact store, so every silo can read it: each file it reads under its relative path, plus
/// <see cref="DescriptorName"/> saying which reader opens it and from which entry. The manifest lists relative paths
/// and content hashes only, so its hash is a content hash of the file list: the same files give the same hash
/// wherever they lie and whatever the dataset is called.
/// </summary>
public static class DatasetStorage
{
    public const string DescriptorName = ".mminterp-dataset.json";
    const string Format = "mminterp.dataset/1";

    sealed record Descriptor(string Format, string Kind, string Entry);

    public static async Task<StoredDataset> StoreAsync(ArtefactStore store, FileImageDataset dataset, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        var entries = new List<ManifestEntry>();
        long bytes = 0;
        foreach (var file in dataset.Files)
        {
            ArtefactRef stored;
            try
            {
                stored = await store.PutFileAsync(file.FullPath, ArtefactKind.FromFileName(file.FullPath), ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot read {file.FullPath} to store dataset {dataset.Spec}: {e.Message}", e);
            }
            entries.Add(new ManifestEntry(file.RelativePath, stored.Sha256, stored.Size, stored.Kind.Name));
            bytes += stored.Size;
            progress?.Report(entries.Count);
        }
        var kind = ImageDatasetSpec.KindName(dataset.Spec.Kind);
        var descriptor = JsonSerializer.SerializeToUtf8Bytes(new Descriptor(Format, kind, dataset.Entry), Json);
        var d = await store.PutAsync(descriptor, ArtefactKind.Json, ct);
        entries.Add(new ManifestEntry(DescriptorName, d.Sha256, d.Size, d.Kind.Name));
        var manifest = new ArtefactManifest(entries);
        var stored2 = await store.PutAsync(manifest.ToJsonBytes(), ArtefactKind.Manifest, ct);
        return new StoredDataset(stored2, manifest, kind, dataset.Items.Count, dataset.LabelNames, bytes);
    }

    /// <summary>Opens a stored dataset restored to <paramref name="directory"/> (see ArtefactDirectories.RestoreDirectoryAsync).</summary>
    public static FileImageDataset OpenRestored(string directory)
    {
        var path = Path.Combine(directory, DescriptorName);
        if (!File.Exists(path)) throw new InvalidDataException($"{directory}: not a stored dataset (no {DescriptorName})");
        var d = JsonSerializer.Deserialize<Descriptor>(File.ReadAllBytes(path), Json);
        if (d is null || d.Format != Format) throw new InvalidDataException($"{path}: format must be '{Format}'");
        if (!ImageDatasetSpec.Kinds.TryGetValue(d.Kind, out var kind)) throw new InvalidDataException($"{path}: unknown dataset kind '{d.Kind}'");
        ArtefactManifest.CheckRelativePathOrDot(d.Entry);
        var target = d.Entry == "." ? directory : Path.Combine(directory, d.Entry);
        return ImageDatasets.Open(new ImageDatasetSpec(kind, Path.GetFullPath(target)));
    }

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
