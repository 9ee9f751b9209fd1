using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>Sizes a training spec asks for are checked against this machine's memory when the config is validated, so
/// `--d-sae 2147483647` or `--batch 2147483647` is one line up front, not a process growing towards out-of-memory.</summary>
public class TrainingMemoryTests
{
    static SweepConfig Sweep(int dSae, int batch) => new()
    {
        Members = [new SweepMember("m", new SaeConfig { Kind = SaeKind.TopK, DIn = 768, DSae = 512, K = 32 } with { DSae = dSae }, new SaeTrainingConfig())],
        BatchSize = batch,
    };

    [Fact]
    public void AHugeDictionaryIsRefusedWhenItsConfigIsValidated()
    {
        var e = Assert.Throws<ArgumentException>(() => new SaeConfig { Kind = SaeKind.TopK, DIn = 768, DSae = int.MaxValue, K = 32 }.Validate());
        Assert.Matches(@"^DSae: an SAE of d_in 768 x d_sae 2147483647 asks for [0-9.]+ TB of parameters; this machine has [0-9.]+ [GMT]B", e.Message);
        Assert.Equal("DSae", e.ParamName);
    }

    [Fact]
    public void AHugeBatchIsRefusedWhenTheSweepIsValidated()
    {
        Sweep(512, 1024).Validate(); // an ordinary size passes
        var e = Assert.Throws<ArgumentException>(() => Sweep(512, int.MaxValue).Validate());
        Assert.Matches(@"^BatchSize: training 1 SAE\(s\) \(d_sae up to 512\) on batches of 2147483647 rows asks for [0-9.]+ TB of memory; this machine has", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheEstimateCountsAdamStateAndTheBatch()
    {
        var sae = new SaeConfig { Kind = SaeKind.Relu, DIn = 10, DSae = 100 };
        // Parameters 2*10*100 + 100 + 10 = 2110, four copies; batch 50 rows of 10 inputs; 50 rows of 3*100 + 2*10 intermediates.
        Assert.Equal((4 * 2110 + 50 * 10 + 50 * (300 + 20)) * 4.0, SaeTrainingMemory.Bytes([sae], 50));
    }
}
