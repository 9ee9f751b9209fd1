using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>A training run whose SAE or batch cannot fit this machine's memory is refused when its spec is validated
/// (by the CLI before it starts anything, and by the grain before it records a run), in one line.</summary>
public class TrainingRunSizeTests
{
    static TrainingRunSpec Spec(int dSae, int batch) =>
        new("acts-1", "h", new SaeConfig { Kind = SaeKind.TopK, DIn = 768, DSae = 512, K = 32 }.ToJson().Replace("\"DSae\":512", $"\"DSae\":{dSae}"),
            new SaeTrainingConfig().ToJson(), Steps: 10, CheckpointEvery: 5, Seed: 1, BatchSize: batch);

    [Fact]
    public void AnImpossibleDictionaryOrBatchIsRefusedUpFront()
    {
        Spec(512, 1024).Validated();
        var dSae = Assert.Throws<ArgumentException>(() => Spec(int.MaxValue, 1024).Validated());
        Assert.Matches("^training run: DSae: an SAE of d_in 768 x d_sae 2147483647 asks for [0-9.]+ TB of parameters; this machine has", dSae.Message);
        var batch = Assert.Throws<ArgumentException>(() => Spec(512, int.MaxValue).Validated());
        Assert.Matches("^training run: BatchSize: training 1 SAE\\(s\\) \\(d_sae up to 512\\) on batches of 2147483647 rows asks for [0-9.]+ TB of memory", batch.Message);
        Assert.DoesNotContain('\n', batch.Message);
    }
}
