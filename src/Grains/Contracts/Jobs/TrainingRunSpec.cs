using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// One SAE training run over a registered activation set. The SAE and optimiser settings travel as the kernels'
/// own JSON (validated by the kernels when the run starts), so this contract does not change with every new option.
/// PackId names the TrainingPack grain that trains this run together with others sharing its reads (a sweep's grid
/// points); null for a run that trains on its own.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TrainingRunSpec(
    [property: Id(0)] string ActivationSetId,
    [property: Id(1)] string Hook,
    [property: Id(2)] string SaeConfigJson,
    [property: Id(3)] string TrainingConfigJson,
    [property: Id(4)] long Steps,
    [property: Id(5)] int CheckpointEvery,
    [property: Id(6)] long Seed,
    [property: Id(7)] string? SweepId = null,
    [property: Id(8)] int BatchSize = 1024,
    [property: Id(9)] int LogEvery = 50,
    [property: Id(10)] string? PackId = null)
{
    public TrainingRunSpec Validated()
    {
        if (string.IsNullOrWhiteSpace(ActivationSetId)) throw new ArgumentException("training run: activation set id is empty");
        if (string.IsNullOrWhiteSpace(Hook)) throw new ArgumentException("training run: hook is empty");
        if (Steps < 1) throw new ArgumentException($"training run: steps must be at least 1, got {Steps}");
        if (CheckpointEvery < 1) throw new ArgumentException($"training run: checkpoint interval must be at least 1 step, got {CheckpointEvery}");
        if (BatchSize < 1) throw new ArgumentException($"training run: batch size must be at least 1, got {BatchSize}");
        if (LogEvery < 1) throw new ArgumentException($"training run: log interval must be at least 1 step, got {LogEvery}");
        if (string.IsNullOrWhiteSpace(SaeConfigJson) || string.IsNullOrWhiteSpace(TrainingConfigJson))
            throw new ArgumentException("training run: SAE and training configs are required");
        if (PackId is not null && string.IsNullOrWhiteSpace(PackId)) throw new ArgumentException("training run: pack id is blank");
        CheckSizes();
        return this;
    }

    /// <summary>The SAE's and batch's sizes against this machine's memory, before anything starts (the kernels'
    /// check; `--d-sae 2147483647` or `--batch 2147483647` is refused here, not by a process heading for out-of-memory).
    /// JSON the kernels cannot read is left to them to report when the run starts.</summary>
    void CheckSizes()
    {
        try
        {
            var sae = SaeConfig.FromJson(SaeConfigJson);
            SaeTrainingMemory.Check([sae], BatchSize);
        }
        catch (ArgumentException e) when (e.InnerException is System.Text.Json.JsonException) { }
        catch (ArgumentException e) { throw new ArgumentException($"training run: {e.Message}", e); }
    }
}
