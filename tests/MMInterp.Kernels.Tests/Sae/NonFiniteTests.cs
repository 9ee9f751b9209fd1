using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>A NaN in the data stops training with a clear error and leaves the last checkpoint intact and loadable.</summary>
public class NonFiniteTests
{
    [Theory]
    [InlineData(SaeKind.Relu)]
    [InlineData(SaeKind.TopK)]
    [InlineData(SaeKind.JumpRelu)]
    public void InjectedNaNStopsWithClearErrorAndKeepsLastGoodCheckpoint(SaeKind kind)
    {
        using var planted = new PlantedDictionary(16, 24, 2000, 0.1, seed: 4);
        using var dir = new TempDir();
        using var inner = new InMemoryActivationSource(planted.Data, seed: 8);
        var source = new PoisonedSource(inner, poisonBatch: 25, batchSize: 32);
        var sweep = new SweepConfig
        {
            Members = [new SweepMember("victim", new SaeConfig { Kind = kind, DIn = 16, DSae = 32, K = 3 }, new SaeTrainingConfig())],
            BatchSize = 32, TotalSteps = 100, LogEvery = 5, CheckpointEvery = 10,
        };
        var e = Assert.Throws<NonFiniteTrainingException>(() => SaeTrainer.Run(sweep, source, dir.Path));
        Assert.Equal(25, e.Step);
        Assert.Contains("victim", e.Message);
        Assert.Contains("not finite at step 25", e.Message);
        var ckpt = Path.Combine(dir.Path, "victim", "checkpoint.safetensors");
        Assert.Contains(ckpt, e.Message);

        var state = SaeCheckpoint.LoadTraining(ckpt);
        using var sae = state.Sae;
        Assert.Equal(20, state.Step);
        foreach (var (name, p) in sae.Parameters)
            Assert.True(p.isfinite().all().item<bool>(), $"{name} in the kept checkpoint is not finite");
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "victim"), "*.tmp"));
    }
}
