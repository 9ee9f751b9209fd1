using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Platform;

/// <summary>Stops a job, run, sweep, experiment or zoo build through its grain (CLI `cancel` and the web API share this).</summary>
public static class RunCancellation
{
    /// <summary>Returns what happened in a few words; throws KeyNotFoundException for an unknown id.</summary>
    public static async Task<string> CancelAsync(RegistryStore registry, Func<CancellationToken, Task<IClusterClient>> cluster, string id, CancellationToken ct)
    {
        var run = await registry.Runs.GetAsync(id, ct) ?? throw new KeyNotFoundException($"no job, run, sweep or experiment with id '{id}'");
        if (run.IsTerminal) return $"{id} already {RegistryNames.Name(run.Status)}";
        var client = await cluster(ct);
        await (run.Kind switch
        {
            RunKind.Extraction => client.GetGrain<IExtractionJobGrain>(id).Cancel(),
            RunKind.SaeTraining => client.GetGrain<ITrainingRunGrain>(id).Cancel(),
            RunKind.Sweep => client.GetGrain<ISweepGrain>(id).Cancel(),
            RunKind.Analysis => client.GetGrain<IExperimentGrain>(id).Cancel(),
            RunKind.ModelTraining => client.GetGrain<IZooBuildGrain>(id).Cancel(),
            _ => throw new ArgumentException($"{id} is a {RegistryNames.Name(run.Kind)} run, which cannot be cancelled from here"),
        });
        return $"cancelled {id}";
    }
}
