using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Datasets;

namespace MMInterp.Silo.Work;

/// <summary>
/// What `--dataset` takes: ShapesWorld's world:split:count, or a user dataset as SPEC, registered id or name, each
/// optionally followed by :split (train, val, test, all; default all) and :count (default the whole split), e.g.
/// imagefolder:/data/pets:val:500 or dataset-3f2a...:train.
/// </summary>
public sealed record DatasetReference(string Target, string Split, int? Count)
{
    public static DatasetReference Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("dataset is empty");
        var parts = text.Split(':');
        int? count = null;
        var end = parts.Length;
        if (end >= 3 && int.TryParse(parts[^1], out var n) && DatasetSpec.RegisteredSplits.Contains(parts[^2]))
        {
            if (n < 1) throw new ArgumentException($"dataset count '{parts[^1]}' must be a positive integer");
            count = n;
            end -= 1;
        }
        var split = "all";
        if (end >= 2 && DatasetSpec.RegisteredSplits.Contains(parts[end - 1]))
        {
            split = parts[end - 1];
            end -= 1;
        }
        return new DatasetReference(string.Join(':', parts[..end]), split, count);
    }

    /// <summary>
    /// The job's dataset: ShapesWorld as before; otherwise the target registered (first, when it is a SPEC) and the
    /// split counted, so the count is checked before any work starts.
    /// </summary>
    public static async Task<(DatasetSpec Spec, DatasetRecord? Record)> ResolveAsync(string text, ArtefactStore store, RegistryStore registry,
        DatasetSource source, CancellationToken ct)
    {
        if (text.StartsWith("shapes:", StringComparison.Ordinal)) return (DatasetSpec.Parse(text), null);
        var r = Parse(text);
        var record = await DatasetRegistration.ResolveAsync(store, registry, r.Target, ct);
        var dataset = await source.OpenAsync(record.Id, ct);
        var available = DatasetSplits.Indices(dataset, r.Split).Count;
        if (available == 0) throw new ArgumentException($"dataset {record.Id} ({record.Name}) has no item in split {r.Split}");
        var count = r.Count ?? available;
        if (count > available)
            throw new ArgumentException($"dataset {record.Id} ({record.Name}) has {available} items in split {r.Split}; {count} asked for");
        return (DatasetSpec.Registered(record.Id, r.Split, count), record);
    }
}
