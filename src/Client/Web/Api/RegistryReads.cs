using MMInterp.Grains.Registry;

namespace MMInterp.Client.Web.Api;

/// <summary>The registry reads pages and API share: lookups that 404 with a clear message, and overview counts.</summary>
public static class RegistryReads
{
    /// <summary>The registry's largest page; the overview shows "10,000+" beyond it rather than counting a whole table.</summary>
    public const int CountCap = 10_000;

    public static async Task<DictionaryRecord> DictionaryAsync(RegistryStore r, string id, CancellationToken ct) =>
        await r.Dictionaries.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no dictionary '{id}' in the registry");

    public static async Task<ExperimentRecord> ExperimentAsync(RegistryStore r, string id, CancellationToken ct) =>
        await r.Experiments.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no experiment '{id}' in the registry");

    public static async Task<RunRecord> RunAsync(RegistryStore r, string id, CancellationToken ct) =>
        await r.Runs.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no run '{id}' in the registry");

    public static async Task<ModelRecord> ModelAsync(RegistryStore r, string id, CancellationToken ct) =>
        await r.Models.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no model '{id}' in the registry");

    public static async Task<ActivationSetRecord> ActivationSetAsync(RegistryStore r, string id, CancellationToken ct) =>
        await r.ActivationSets.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no activation set '{id}' in the registry");

    /// <summary>One feature's stats and labels; 404 when the dictionary or the feature's row is missing.</summary>
    public static async Task<(DictionaryRecord Dictionary, FeatureRecord Row, List<LabelRecord> Labels)> FeatureAsync(
        RegistryStore r, string dictionaryId, int index, CancellationToken ct)
    {
        var dictionary = await DictionaryAsync(r, dictionaryId, ct);
        var row = await r.Features.GetAsync(dictionaryId, index, ct)
                  ?? throw new KeyNotFoundException($"dictionary '{dictionaryId}' has no stats or labels for feature {index}");
        return (dictionary, row, await r.Features.GetLabelsAsync(dictionaryId, index, ct));
    }

    public sealed record Counts(int Models, int ActivationSets, int Dictionaries, int Runs, int Experiments);

    public static async Task<Counts> CountsAsync(RegistryStore r, CancellationToken ct) => new(
        (await r.Models.ListAsync(limit: CountCap, ct: ct)).Count,
        (await r.ActivationSets.ListAsync(limit: CountCap, ct: ct)).Count,
        (await r.Dictionaries.ListAsync(limit: CountCap, ct: ct)).Count,
        (await r.Runs.ListAsync(limit: CountCap, ct: ct)).Count,
        (await r.Experiments.ListAsync(limit: CountCap, ct: ct)).Count);
}
