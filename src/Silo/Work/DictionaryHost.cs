using System.Collections.Concurrent;
using MMInterp.Grains.Contracts.Dictionaries;
using MMInterp.Grains.Dictionaries;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Silo.Work;

/// <summary>
/// Registered dictionaries loaded once per silo from their verified checkpoint, for the Dictionary grain. The grain
/// (one activation per id) calls one at a time, so a loaded SAE needs no lock; tensor work runs on the thread pool.
/// </summary>
public sealed class DictionaryHost(RegistryStore registry, ArtefactCache artefacts) : IDictionaryHost
{
    readonly ConcurrentDictionary<string, Lazy<Task<Loaded>>> _loaded = new();

    sealed record Loaded(DictionaryRecord Record, SparseAutoencoder Sae, DateTimeOffset LoadedAt);

    public async Task<DictionaryInfo> DescribeAsync(string dictionaryId, string silo, CancellationToken ct)
    {
        var d = await GetAsync(dictionaryId, ct);
        return new DictionaryInfo(dictionaryId, d.Record.ModelId, d.Record.HookPoint, d.Sae.Config.Kind.ToString(),
            d.Record.DIn, d.Record.DSae, silo, d.LoadedAt);
    }

    public async Task<FeatureCodes> EncodeAsync(string dictionaryId, ActivationRows rows, CancellationToken ct)
    {
        var d = await GetAsync(dictionaryId, ct);
        if (rows.Width != d.Record.DIn)
            throw new ArgumentException($"dictionary '{dictionaryId}' reads rows of width {d.Record.DIn}, got {rows.Width}");
        return await Task.Run(() =>
        {
            using var scope = NewDisposeScope();
            var x = tensor(rows.Values, new long[] { rows.Count, rows.Width }).to(d.Sae.Device);
            var z = d.Sae.Encode(x).cpu().contiguous().data<float>().ToArray();
            var starts = new int[rows.Count + 1];
            var features = new List<int>();
            var values = new List<float>();
            for (var r = 0; r < rows.Count; r++)
            {
                for (var f = 0; f < d.Record.DSae; f++)
                {
                    var v = z[r * d.Record.DSae + f];
                    if (v == 0) continue;
                    features.Add(f);
                    values.Add(v);
                }
                starts[r + 1] = features.Count;
            }
            return new FeatureCodes(d.Record.DSae, starts, features.ToArray(), values.ToArray());
        }, ct);
    }

    public async Task<ActivationRows> DecodeAsync(string dictionaryId, FeatureCodes codes, CancellationToken ct)
    {
        var d = await GetAsync(dictionaryId, ct);
        if (codes.Width != d.Record.DSae)
            throw new ArgumentException($"dictionary '{dictionaryId}' has {d.Record.DSae} features, got codes over {codes.Width}");
        return await Task.Run(() =>
        {
            var dense = new float[codes.Count * codes.Width];
            for (var r = 0; r < codes.Count; r++)
                for (var i = codes.RowStarts[r]; i < codes.RowStarts[r + 1]; i++)
                    dense[r * codes.Width + codes.Features[i]] = codes.Values[i];
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var z = tensor(dense, new long[] { codes.Count, codes.Width }).to(d.Sae.Device);
            return new ActivationRows(d.Record.DIn, d.Sae.Decode(z).cpu().contiguous().data<float>().ToArray());
        }, ct);
    }

    public async Task<DictionaryFeature> FeatureAsync(string dictionaryId, int index, CancellationToken ct)
    {
        var d = await GetAsync(dictionaryId, ct);
        if (index < 0 || index >= d.Record.DSae)
            throw new ArgumentException($"dictionary '{dictionaryId}' has features 0..{d.Record.DSae - 1}, got {index}");
        double norm;
        using (NewDisposeScope())
        using (no_grad())
            norm = d.Sae.W_dec[index].norm().item<float>();
        var stats = await registry.Features.GetAsync(dictionaryId, index, ct);
        return new DictionaryFeature(index, norm, stats?.StatsJson);
    }

    public void Release(string dictionaryId)
    {
        if (_loaded.TryRemove(dictionaryId, out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully)
            entry.Value.Result.Sae.Dispose();
    }

    Task<Loaded> GetAsync(string dictionaryId, CancellationToken ct) =>
        _loaded.GetOrAdd(dictionaryId, id => new Lazy<Task<Loaded>>(() => LoadAsync(id, ct))).Value;

    async Task<Loaded> LoadAsync(string dictionaryId, CancellationToken ct)
    {
        try
        {
            var record = await registry.Dictionaries.GetAsync(dictionaryId, ct)
                         ?? throw new ArgumentException($"dictionary '{dictionaryId}' is not registered");
            var path = await artefacts.Store.GetVerifiedPathAsync(record.CheckpointSha256, ct);
            return new Loaded(record, SaeCheckpoint.LoadSae(path), DateTimeOffset.UtcNow);
        }
        catch
        {
            // A failed load is not cached: the next call tries again (the registry or store may be back).
            _loaded.TryRemove(dictionaryId, out _);
            throw;
        }
    }
}
