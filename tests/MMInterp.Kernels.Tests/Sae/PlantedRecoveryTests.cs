using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;
using Xunit.Abstractions;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>Every variant, trained briefly, finds most atoms of a planted sparse dictionary.</summary>
public class PlantedRecoveryTests(ITestOutputHelper output)
{
    private const int D = 32, Atoms = 48, M = 96;

    // (variant, sparsity coefficient, normalise inputs, sparsity warm-up steps). The L1 coefficient scales with the
    // input norm, hence the larger one with normalisation; JumpReLU's L0 penalty needs a longer warm-up so that
    // features form before thresholds rise.
    public static TheoryData<SaeKind, double, bool, int> Cases => new()
    {
        { SaeKind.Relu, 0.3, false, 50 },
        { SaeKind.Relu, 1, true, 50 },
        { SaeKind.TopK, 0, false, 0 },
        { SaeKind.BatchTopK, 0, false, 0 },
        { SaeKind.JumpRelu, 0.3, false, 300 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void VariantRecoversMostPlantedAtoms(SaeKind kind, double sparsity, bool normalize, int sparsityWarmup)
    {
        using var planted = new PlantedDictionary(D, Atoms, 16384, 3.0 / Atoms, seed: 11);
        using var source = new InMemoryActivationSource(planted.Data, seed: 5);
        var member = new SweepMember(kind.ToString(),
            new SaeConfig { Kind = kind, DIn = D, DSae = M, K = 4, Seed = 3, NormalizeInput = normalize, UnitNormDecoder = kind == SaeKind.TopK, JumpReluInitThreshold = 0.1, JumpReluBandwidth = 0.1 },
            new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = sparsity, SparsityWarmupSteps = sparsityWarmup, LrWarmupSteps = 20, LrDecaySteps = 100 });
        var dir = Path.Combine(Path.GetTempPath(), "mmi-planted-" + Guid.NewGuid().ToString("N"));
        try
        {
            var results = SaeTrainer.Run(new SweepConfig { Members = [member], BatchSize = 256, TotalSteps = 600, LogEvery = 200, CheckpointEvery = 0 },
                source, dir);
            var r = results.Single();
            using var sae = SaeCheckpoint.LoadSae(r.WeightsPath!);
            double rec = planted.Recovered(sae.W_dec);
            output.WriteLine($"{kind} normalize={normalize}: recovered {rec:F3}, final {r.Final}");
            Assert.True(r.Completed);
            Assert.True(rec >= 0.8, $"{kind}: only {rec:P0} of atoms recovered with cosine >= 0.9");
        }
        finally { Directory.Delete(dir, true); }
    }
}
