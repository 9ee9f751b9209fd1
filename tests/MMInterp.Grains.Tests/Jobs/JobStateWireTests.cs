using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Experiments;
using MMInterp.Grains.ExtractionJobs;
using MMInterp.Grains.Sweeps;
using MMInterp.Grains.TrainingRuns;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>
/// Job states are stored in Postgres through Orleans' grain storage serializer (PostgresProviders). These bytes were
/// written by the build of 7de911d; state stored by running jobs must keep loading into the same values whatever the
/// grains around it become.
/// </summary>
public class JobStateWireTests
{
    static readonly IServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    static readonly OrleansGrainStorageSerializer Storage = new(Services.GetRequiredService<Serializer>());
    static readonly DateTimeOffset At = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    static T Load<T>(string base64) where T : class => Storage.Deserialize<T>(new BinaryData(Convert.FromBase64String(base64)))!;

    [Fact]
    public void StoredTrainingRunStateLoads()
    {
        var s = Load<TrainingRunState>("ICDoQA1hY3RzLTFBA2hBBXt9wQsBKQEJAR1BBXN3AQIgAcngCQMFIegAEUENY2twdC00MQHLpDaGdVN5c3RlbS5Db2xsZWN0aW9ucy5HZW5lcmljLkRpY3Rpb25hcnlgMltbc3RyaW5nXSxbZG91YmxlXV0BA0EHZnZ1gAAAAAAAANA/4OBBA2UhgIAAt5arSd4IgQAAAAAAAAAA4AEJQQVTMQER4A==");
        Assert.Equal(new TrainingRunSpec("acts-1", "h", "{}", "{}", 10, 2, 7, "sw"), s.Spec);
        Assert.Equal((JobPhase.Running, "e", At, 2, "S1", 4L), (s.Phase, s.Error, s.UpdatedAt, s.Starts, s.LastSilo, s.ResumedFromStep));
        Assert.Equal((4L, "ckpt-4", 0.25), (s.Checkpoint!.Step, s.Checkpoint.Artefact, s.Checkpoint.Metrics["fvu"]));
    }

    [Fact]
    public void StoredExtractionJobStateLoads()
    {
        var s = Load<ExtractionJobState>("ICDoQANtMQHD2W4+TVJlYWRPbmx5TGlzdEludGVyZmFjZUNvZGVjYDFbW3N0cmluZ11dAAVBA2FAA2LgIehADXNoYXBlc0ELdHJhaW4BIeABCQEN4AkDCSEBAwEBIOgAATEB2zatc3VTeXN0ZW0uQ29sbGVjdGlvbnMuR2VuZXJpYy5EaWN0aW9uYXJ5YDJbW3N0cmluZ10sW3N0cmluZ11dAQPBDUAFaDDgARFBBVMxIYAAAAAAAAAAAIEAAAAAAAAAAOCBAAAAAAAAAADg4CEBBQEBAAUABQAJ4MEBQQdzZXQhgIAAt5arSd4IgQAAAAAAAAAA4OA=");
        Assert.Equal(("m", DatasetSpec.Parse("shapes:train:8"), 2, 3), (s.Spec!.ModelId, s.Spec.Dataset, s.Spec.Shards, s.Spec.MaxAttemptsPerShard));
        Assert.Equal(["a", "b"], s.Spec.Hooks);
        Assert.Equal((JobPhase.Succeeded, (string?)null, "set", At), (s.Phase, s.Error, s.ActivationSetId, s.UpdatedAt));
        Assert.Equal((0, "h0", 4, "S1"), (s.Done[0].Index, s.Done[0].ArtefactByHook["a"], s.Done[0].Rows, s.Done[0].Silo));
        Assert.Equal(new Dictionary<int, int> { [0] = 1, [1] = 2 }, s.Attempts);
    }

    [Fact]
    public void StoredExperimentStateLoads()
    {
        var s = Load<ExperimentState>("ICDoQBVjbGlwLXN0dWR5QQNtQQNkQQNoQQV7fcEB4AkDDUEHYmFkIYCAALeWq0neCIEAAAAAAAAAAOABDeA=");
        Assert.Equal(new AnalysisSpec("clip-study", "m", "d", "h"), s.Spec);
        Assert.Equal((JobPhase.Failed, "bad", At, 3), (s.Phase, s.Error, s.UpdatedAt, s.Starts));
    }

    /// <summary>Written by the build of 2bdba5d, before the sweep state gained the lifecycle's Error field.</summary>
    [Fact]
    public void StoredSweepStateLoads()
    {
        var s = Load<SweepState>("ICDoIOhADWFjdHMtMUEDaEEFe33BDQEpAQkBHcEBAQIgAcngMQELJLBr0VN5c3RlbS5Db2xsZWN0aW9ucy5HZW5lcmljLkRpY3Rpb25hcnlgMltbc3RyaW5nXSxbU3lzdGVtLkNvbGxlY3Rpb25zLkdlbmVyaWMuSVJlYWRPbmx5TGlzdGAxW1tzdHJpbmddXV1dAQNBC3NhZS5rMAHD2W4+TVJlYWRPbmx5TGlzdEludGVyZmFjZUNvZGVjYDFbW3N0cmluZ11dAAVBAzhABTE24OABAQEBARXgCQMFIQEFQQ9zdy1yMDAwQA9zYWUuaz04QA9zdy1yMDAxQBFzYWUuaz0xNuAhAAMh6MA3wTkJAwmBAAAAAAAAIECBAAAAAAAA0D8BA+DgIYCAALeWq0neCIEAAAAAAAAAAODg");
        Assert.Equal((new TrainingRunSpec("acts-1", "h", "{}", "{}", 10, 2, 7), false, 0, 5L), (s.Spec!.Base, s.Spec.Random, s.Spec.Samples, s.Spec.Seed));
        Assert.Equal(["8", "16"], s.Spec.Axes["sae.k"]);
        Assert.Equal((JobPhase.Running, At, (string?)null), (s.Phase, s.UpdatedAt, s.Error));
        Assert.Equal(new Dictionary<string, string> { ["sw-r000"] = "sae.k=8", ["sw-r001"] = "sae.k=16" }, s.Runs);
        Assert.Equal([new SweepRunResult("sw-r000", "sae.k=8", JobPhase.Succeeded, 8, 0.25, true)], s.Results);
    }
}
