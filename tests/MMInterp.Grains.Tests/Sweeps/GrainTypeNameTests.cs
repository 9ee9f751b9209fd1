using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Dictionaries;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using Xunit;

namespace MMInterp.Grains.Tests.Sweeps;

/// <summary>
/// Grain type names are part of what databases hold: reminders and grain-state rows name the grain by them. Orleans
/// derives them from the grain class's name (not its namespace), so moving a grain between folders keeps them; renaming
/// a class would not, and fails here.
/// </summary>
public sealed class GrainTypeNameTests(SweepStartTests.OneSilo silo) : IClassFixture<SweepStartTests.OneSilo>
{
    [Fact]
    public void GrainTypesKeepTheNamesStoredStateAndRemindersUse()
    {
        var f = silo.Cluster.Client;
        string Type(IAddressable grain) => grain.GetGrainId().Type.ToString()!;
        Assert.Equal(
            ["model", "extractionjob", "extractionshard", "trainingrun", "sweep", "experiment", "counter", "reminderprobe", "acceleratorprobe", "controlprobe", "dictionary"],
            [
                Type(f.GetGrain<IModelGrain>("m")), Type(f.GetGrain<IExtractionJobGrain>("j")), Type(f.GetGrain<IExtractionShardGrain>("j/0")),
                Type(f.GetGrain<ITrainingRunGrain>("r")), Type(f.GetGrain<ISweepGrain>("s")), Type(f.GetGrain<IExperimentGrain>("e")),
                Type(f.GetGrain<ICounterGrain>("c")), Type(f.GetGrain<IReminderProbeGrain>("p")), Type(f.GetGrain<IAcceleratorProbeGrain>("a")),
                Type(f.GetGrain<IControlProbeGrain>("c")), Type(f.GetGrain<IDictionaryGrain>("d")),
            ]);
    }
}
