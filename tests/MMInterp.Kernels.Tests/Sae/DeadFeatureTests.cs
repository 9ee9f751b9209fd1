using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>Aux-K and resampling revive dead features: the final dead fraction drops against the same run without them.</summary>
public class DeadFeatureTests(ITestOutputHelper output)
{
    private static double FinalDead(SaeConfig sae, SaeTrainingConfig training, PlantedDictionary planted)
    {
        using var dir = new TempDir();
        using var src = new InMemoryActivationSource(planted.Data, seed: 2);
        var r = SaeTrainer.Run(new SweepConfig { Members = [new SweepMember("m", sae, training)], BatchSize = 128, TotalSteps = 400, LogEvery = 100, CheckpointEvery = 0 },
            src, dir.Path).Single();
        return r.Final!.DeadFraction;
    }

    [Fact]
    public void AuxKReducesDeadFraction()
    {
        using var planted = new PlantedDictionary(32, 64, 8192, 4.0 / 64, seed: 21);
        // An untied random encoder with a large dictionary and small k leaves many latents never selected.
        var sae = new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 256, K = 4, TiedInit = false, Seed = 5 };
        var baseTraining = new SaeTrainingConfig { Lr = 2e-3, DeadAfterRows = 1024, AuxK = 16, AuxCoefficient = 1.0 / 32 };
        double without = FinalDead(sae, baseTraining, planted);
        double with = FinalDead(sae, baseTraining with { DeadFeatures = DeadFeatureStrategy.AuxK }, planted);
        output.WriteLine($"dead fraction: without aux-K {without:F3}, with {with:F3}");
        Assert.True(without >= 0.05, $"setup should leave features dead without aux-K, got {without:F3}");
        Assert.True(with <= without * 0.5, $"aux-K should at least halve the dead fraction: {without:F3} -> {with:F3}");
    }

    [Fact]
    public void ResamplingReducesDeadFraction()
    {
        using var planted = new PlantedDictionary(32, 64, 8192, 4.0 / 64, seed: 21);
        // A strong L1 penalty kills many ReLU features early.
        var sae = new SaeConfig { Kind = SaeKind.Relu, DIn = 32, DSae = 256, Seed = 5 };
        var baseTraining = new SaeTrainingConfig { Lr = 1e-2, SparsityCoefficient = 3.0, DeadAfterRows = 1024, ResampleEvery = 50 };
        double without = FinalDead(sae, baseTraining, planted);
        double with = FinalDead(sae, baseTraining with { DeadFeatures = DeadFeatureStrategy.Resample }, planted);
        output.WriteLine($"dead fraction: without resampling {without:F3}, with {with:F3}");
        Assert.True(without >= 0.2, $"setup should leave many features dead without resampling, got {without:F3}");
        Assert.True(with <= without * 0.5, $"resampling should at least halve the dead fraction: {without:F3} -> {with:F3}");
    }
}
