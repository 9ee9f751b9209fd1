using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>
/// The trainer's per-step figures (live progress): one per member and step, in order, finite, agreeing with the
/// logged interval means they fall in; and asking for them changes none of the recorded metrics.
/// </summary>
public class StepFiguresTests
{
    static SweepConfig Sweep() => new()
    {
        Members =
        [
            new SweepMember("relu", new SaeConfig { Kind = SaeKind.Relu, DIn = 16, DSae = 48 }, new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.3 }),
            new SweepMember("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 48, K = 3 }, new SaeTrainingConfig { Lr = 3e-3 }),
        ],
        BatchSize = 128, TotalSteps = 60, LogEvery = 20, CheckpointEvery = 0, HistogramEachLog = false,
    };

    [Fact]
    public void EveryStepReportsFiniteFiguresThatMatchTheLoggedMeansAndRecordNothingNew()
    {
        using var planted = new PlantedDictionary(16, 24, 4000, 0.1, seed: 4);
        using var dir = new TempDir();
        var setDir = Path.Combine(dir.Path, "acts");
        using (var w = new ActivationSetWriter(setDir, "lm.blocks.0.hook_resid_post", 16, 1000)) { w.Append(planted.Data); w.Complete(); }

        IReadOnlyList<SaeRunResult> Train(string name, TrainerHooks hooks)
        {
            using var source = new ShufflingActivationReader(new ActivationSetReader(setDir), bufferShards: 2, seed: 3);
            return SaeTrainer.Run(Sweep(), source, Path.Combine(dir.Path, name), hooks);
        }

        var steps = new List<StepFigures>();
        var live = Train("live", new TrainerHooks { Stepped = steps.Add });
        var plain = Train("plain", new TrainerHooks());

        foreach (var member in new[] { "relu", "topk" })
        {
            var mine = steps.Where(s => s.Member == member).ToList();
            Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), mine.Select(s => s.Step));
            Assert.All(mine, s => Assert.Equal(60, s.TotalSteps));
            Assert.All(mine, s => Assert.True(double.IsFinite(s.Loss) && double.IsFinite(s.Fvu) && double.IsFinite(s.L0), $"{member} step {s.Step}: {s}"));
            Assert.All(mine, s => Assert.InRange(s.L0, 0, member == "topk" ? 3.0001 : 48));
            // A logged loss is the mean of its interval's step losses.
            var logged = live.Single(r => r.Name == member).History;
            foreach (var m in logged)
                Assert.Equal(m.Loss, mine.Where(s => s.Step > m.Step - 20 && s.Step <= m.Step).Average(s => s.Loss), 6);
        }
        // Asking for the figures changes no recorded metric.
        foreach (var (a, b) in live.Zip(plain))
            Assert.Equal(b.History.Select(h => (h.Step, h.Loss, h.Fvu, h.L0, h.DeadFraction)), a.History.Select(h => (h.Step, h.Loss, h.Fvu, h.L0, h.DeadFraction)));
    }
}
