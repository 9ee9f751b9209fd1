using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>The architecture options and schedules do what their names say.</summary>
public class OptionsTests
{
    [Fact]
    public void TiedInitSetsEncoderToDecoderTranspose()
    {
        using var tied = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = 8, DSae = 20, TiedInit = true });
        using var untied = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = 8, DSae = 20, TiedInit = false });
        Assert.True(Bits.Identical(tied.W_enc.detach(), tied.W_dec.detach().t().contiguous()));
        Assert.False(Bits.Identical(untied.W_enc.detach(), untied.W_dec.detach().t().contiguous()));
    }

    [Fact]
    public void UnitNormDecoderStaysUnitNormAndNormalisationFactorIsStored()
    {
        using var planted = new PlantedDictionary(16, 24, 2000, 0.1, seed: 4);
        using var scaled = planted.Data * 7.5f;
        using var dir = new TempDir();
        using var src = new InMemoryActivationSource(scaled, seed: 1);
        var member = new SweepMember("u", new SaeConfig { Kind = SaeKind.Relu, DIn = 16, DSae = 32, UnitNormDecoder = true, NormalizeInput = true },
            new SaeTrainingConfig { Lr = 1e-2, SparsityCoefficient = 0.5 });
        var r = SaeTrainer.Run(new SweepConfig { Members = [member], BatchSize = 64, TotalSteps = 30, LogEvery = 10 }, src, dir.Path).Single();
        using var sae = SaeCheckpoint.LoadSae(r.WeightsPath!);
        var norms = sae.W_dec.detach().norm(1);
        Assert.True((norms - 1).abs().max().item<float>() < 1e-5, "decoder rows are not unit norm after training");
        // E||s x|| = sqrt(d): the stored factor, applied to the data, gives mean norm sqrt(16) = 4.
        double meanNorm = (scaled * sae.NormScale).norm(1).mean().item<float>();
        Assert.InRange(meanNorm, 3.8, 4.2);
        // Encode/Decode take and return the caller's scale.
        var x = scaled.narrow(0, 0, 100);
        var fvu = (sae.Decode(sae.Encode(x)) - x).pow(2).sum().item<float>() / (x - x.mean([0])).pow(2).sum().item<float>();
        Assert.True(fvu < 1.0, $"reconstruction in caller space is worse than the mean (FVU {fvu})");
    }

    [Fact]
    public void SchedulesWarmUpAndDecay()
    {
        var c = new SaeTrainingConfig { Lr = 1.0, LrWarmupSteps = 10, LrDecaySteps = 20, SparsityCoefficient = 2, SparsityWarmupSteps = 4 };
        Assert.Equal(0.1, Schedules.LearningRate(c, 0, 100), 9);
        Assert.Equal(1.0, Schedules.LearningRate(c, 50, 100), 9);
        Assert.Equal(0.5, Schedules.LearningRate(c, 90, 100), 9);
        Assert.Equal(0.05, Schedules.LearningRate(c, 99, 100), 9);
        Assert.Equal(0.5, Schedules.SparsityCoefficient(c, 0), 9);
        Assert.Equal(2.0, Schedules.SparsityCoefficient(c, 10), 9);
    }

    [Fact]
    public void GradientClippingScalesToTheGlobalNorm()
    {
        using var a = tensor(new float[] { 3, 0 });
        using var b = tensor(new float[] { 0, 4 });   // global norm 5
        Assert.Equal(0.2, GradientClipping.Scale([a, b], 1.0, out double n), 6);
        Assert.Equal(5.0, n, 5);
        Assert.Equal(1.0, GradientClipping.Scale([a, b], 10.0, out _), 9);
        Assert.Equal(1.0, GradientClipping.Scale([a, b], 0.0, out _), 9);
        using var bad = tensor(new float[] { float.NaN });
        GradientClipping.Scale([a, bad], 1.0, out double nanNorm);
        Assert.False(double.IsFinite(nanNorm));
    }
}
