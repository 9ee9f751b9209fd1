using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Metrics;
using MMInterp.Kernels.Sae.Training;
using SkiaSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

public class MetricsTests
{
    [Fact]
    public void SweepFromActivationSetLogsMetricsCallsDownstreamHookAndWritesHistogram()
    {
        using var planted = new PlantedDictionary(16, 24, 4000, 0.1, seed: 4);
        using var dir = new TempDir();
        var setDir = Path.Combine(dir.Path, "acts");
        using (var w = new ActivationSetWriter(setDir, "lm.blocks.0.hook_resid_post", 16, 1000)) { w.Append(planted.Data); w.Complete(); }
        using var source = new ShufflingActivationReader(new ActivationSetReader(setDir), bufferShards: 2, seed: 3);

        var calls = new List<string>();
        var progress = new List<TrainingProgress>();
        var hooks = new TrainerHooks
        {
            Progress = progress.Add,
            // Stand-in for "model quality with the SAE spliced in": reconstruction error on fixed data.
            DownstreamMetric = sae =>
            {
                using var scope = NewDisposeScope();
                calls.Add(sae.Config.Kind.ToString());
                var x = planted.Data.narrow(0, 0, 256);
                return (sae.Decode(sae.Encode(x)) - x).pow(2).sum(1).mean().item<float>();
            },
        };
        var sweep = new SweepConfig
        {
            Members =
            [
                new SweepMember("relu", new SaeConfig { Kind = SaeKind.Relu, DIn = 16, DSae = 48 }, new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.3 }),
                new SweepMember("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 48, K = 3 }, new SaeTrainingConfig { Lr = 3e-3 }),
            ],
            BatchSize = 128, TotalSteps = 90, LogEvery = 30, CheckpointEvery = 0,
        };
        var results = SaeTrainer.Run(sweep, source, Path.Combine(dir.Path, "run"), hooks);

        Assert.Equal(6, calls.Count);
        Assert.Equal(6, progress.Count);
        foreach (var r in results)
        {
            Assert.Equal([30L, 60L, 90L], r.History.Select(h => h.Step));
            var first = r.History[0]; var last = r.Final!;
            Assert.True(last.Fvu < first.Fvu, $"{r.Name}: FVU did not improve ({first.Fvu} -> {last.Fvu})");
            Assert.True(last.Downstream < first.Downstream, $"{r.Name}: downstream metric did not improve");
            Assert.InRange(last.DeadFraction, 0, 1);
            Assert.InRange(last.DenseFraction, 0, 1);
            Assert.True(last.L0 > 0 && last.L0 <= 48);
            if (r.Name == "topk") Assert.True(last.L0 <= 3.0001, $"TopK L0 {last.L0} exceeds k");
            Assert.Equal(48, r.FinalDensity.Length);
            Assert.Equal(last.L0, r.FinalDensity.Sum(), 3);
            using var bmp = SKBitmap.Decode(r.HistogramPath!);
            Assert.Equal(640 * MMInterp.Kernels.Plots.Raster.DeviceScale, bmp.Width); // drawn at the charts' device scale
            foreach (var step in new[] { 30, 60 })
                Assert.NotNull(SKBitmap.Decode(Path.Combine(dir.Path, "run", r.Name, $"density-{step:D8}.png")));
        }
    }

    [Fact]
    public void HistogramBinsLog10DensityAndCountsDead()
    {
        var counts = DensityHistogram.Bin([0f, 1e-3f, 1e-3f, 0.5f, 0f], lo: -7, hi: 0, bins: 7, out int dead);
        Assert.Equal(2, dead);
        Assert.Equal(2, counts[4]); // log10 1e-3 = -3 -> bin 4 of [-7, 0)
        Assert.Equal(1, counts[6]); // log10 0.5 ~ -0.3
    }
}
