using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.ExtractionJobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Extraction;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>The extraction's token selection (ExtractionJobSpec.Tokens, Id(5)): checked before any shard runs, kept in
/// the job's stored state, and read back from the activation set's dataset record (all when it names none).</summary>
public class ExtractionTokensTests
{
    static readonly IServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    static readonly OrleansGrainStorageSerializer Storage = new(Services.GetRequiredService<Serializer>());

    static ExtractionJobSpec Spec(string? tokens, params string[] hooks) => new("m", hooks, DatasetSpec.Parse("shapes:train:8"), 2, Tokens: tokens);

    [Fact]
    public void SpecsRefuseWhatSelectsNothingInOneLine()
    {
        Assert.Equal(TokenSelection.All, Spec(null, "vision.blocks.0.hook_resid_post").Validated().TokenSelection);
        Assert.Equal(TokenSelection.Cls, Spec("cls", "vision.blocks.0.hook_resid_post", "vision.hook_pooled").Validated().TokenSelection);
        foreach (var (spec, says) in new[]
                 {
                     (Spec("middle", "vision.blocks.0.hook_resid_post"), "all, patch, cls"),
                     (Spec("patch", "vision.hook_pooled"), "vision.hook_pooled"),
                     (Spec("cls", "lm.blocks.0.hook_resid_post"), "lm.blocks.0.hook_resid_post"),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => spec.Validated());
            Assert.Contains(says, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void TheSelectionSurvivesGrainStorageAndTheSetRecordsIt()
    {
        var state = new ExtractionJobState { Spec = Spec("patch", "vision.blocks.1.hook_resid_post") };
        Assert.Equal("patch", Storage.Deserialize<ExtractionJobState>(Storage.Serialize(state))!.Spec!.Tokens);

        const string dataset = """{"world":"shapes","split":"train","count":8,"seed":1}""";
        Assert.Equal(dataset, ActivationSetTokens.Record(dataset, TokenSelection.All)); // all-token sets read as before
        Assert.Equal(TokenSelection.All, ActivationSetTokens.Of(dataset));
        Assert.Equal(TokenSelection.Patch, ActivationSetTokens.Of(ActivationSetTokens.Record(dataset, TokenSelection.Patch)));
    }
}
