using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>A sweep stopped mid-run and resumed from its checkpoints ends with bit-identical weights.</summary>
public class ResumeTests
{
    private static SweepConfig Sweep(int total) => new()
    {
        Members =
        [
            new SweepMember("relu", new SaeConfig { Kind = SaeKind.Relu, DIn = 16, DSae = 48, Seed = 1, NormalizeInput = true },
                new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.5, SparsityWarmupSteps = 10, LrWarmupSteps = 5, LrDecaySteps = 10,
                    DeadFeatures = DeadFeatureStrategy.Resample, ResampleEvery = 15, DeadAfterRows = 256 }),
            new SweepMember("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 48, K = 3, Seed = 2, UnitNormDecoder = true },
                new SaeTrainingConfig { Lr = 3e-3, DeadFeatures = DeadFeatureStrategy.AuxK, DeadAfterRows = 256, AuxK = 8 }),
            new SweepMember("jump", new SaeConfig { Kind = SaeKind.JumpRelu, DIn = 16, DSae = 48, Seed = 3, JumpReluInitThreshold = 0.05, JumpReluBandwidth = 0.05 },
                new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.1 }),
            new SweepMember("batchtopk", new SaeConfig { Kind = SaeKind.BatchTopK, DIn = 16, DSae = 48, K = 3, Seed = 4 },
                new SaeTrainingConfig { Lr = 3e-3 }),
        ],
        BatchSize = 64, TotalSteps = total, Seed = 7, LogEvery = 1, CheckpointEvery = 10,
    };

    [Theory]
    [InlineData(23)]
    [InlineData(1)]
    public void StoppedAndResumedRunIsBitIdentical(int stopAt)
    {
        using var planted = new PlantedDictionary(16, 24, 3000, 0.1, seed: 4);
        using var straightDir = new TempDir();
        using var resumedDir = new TempDir();

        using (var src = new InMemoryActivationSource(planted.Data, seed: 8))
            SaeTrainer.Run(Sweep(60), src, straightDir.Path);

        using (var src = new InMemoryActivationSource(planted.Data, seed: 8))
        {
            using var cts = new CancellationTokenSource();
            var first = SaeTrainer.Run(Sweep(60), src, resumedDir.Path,
                new TrainerHooks { Progress = p => { if (p.Step == stopAt) cts.Cancel(); } }, cts.Token);
            Assert.All(first, r => Assert.False(r.Completed));
            Assert.All(first, r => Assert.Equal(stopAt, r.Step));
        }
        // A fresh process would see only the files: use a new source and trainer call.
        using (var src = new InMemoryActivationSource(planted.Data, seed: 8))
        {
            var second = SaeTrainer.Run(Sweep(60), src, resumedDir.Path);
            Assert.All(second, r => Assert.True(r.Completed));
        }

        foreach (var name in new[] { "relu", "topk", "jump", "batchtopk" })
        {
            var a = MMInterp.Kernels.IO.SafeTensors.Load(Path.Combine(straightDir.Path, name, "checkpoint.safetensors"));
            var b = MMInterp.Kernels.IO.SafeTensors.Load(Path.Combine(resumedDir.Path, name, "checkpoint.safetensors"));
            Assert.Equal(a.Tensors.Keys.OrderBy(k => k), b.Tensors.Keys.OrderBy(k => k));
            foreach (var (k, t) in a.Tensors)
                Assert.True(Bits.Identical(t, b.Tensors[k]), $"{name}: tensor '{k}' differs after resume at step {stopAt}");
            Assert.Equal(a.Metadata["norm_scale"], b.Metadata["norm_scale"]);
        }
    }

    [Fact]
    public void ResumingWithADifferentConfigIsRefused()
    {
        using var planted = new PlantedDictionary(16, 24, 1000, 0.1, seed: 4);
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        using (var src = new InMemoryActivationSource(planted.Data, seed: 8))
            SaeTrainer.Run(Sweep(20), src, dir.Path, new TrainerHooks { Progress = p => { if (p.Step == 5) cts.Cancel(); } }, cts.Token);
        var changed = Sweep(20) with { Members = Sweep(20).Members.Select(m => m with { Training = m.Training with { Lr = 1e-2 } }).ToList() };
        using var src2 = new InMemoryActivationSource(planted.Data, seed: 8);
        var e = Assert.Throws<InvalidDataException>(() => SaeTrainer.Run(changed, src2, dir.Path));
        Assert.Contains("different configuration", e.Message);
    }
}
