using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.ExtractionJobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>A user's prompts on an extraction (ExtractionJobSpec.Prompts, Id(6)): they caption a diffusion model's
/// captioned keys, are checked before any shard runs, and survive the job's stored state.</summary>
public class ExtractionPromptsTests
{
    static readonly IServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    static readonly OrleansGrainStorageSerializer Storage = new(Services.GetRequiredService<Serializer>());

    static ExtractionJobSpec Spec(IReadOnlyList<string>? prompts, params string[] hooks) => new("m", hooks, DatasetSpec.Parse("shapes:test:8"), 2, Prompts: prompts);

    [Fact]
    public void PromptsNeedACaptionedKeyAndGoodTextInOneLine()
    {
        Assert.Equal(["a red cat"], Spec(["a red cat"], "unet.mid.hook_out@t=0.500@c=caption").Validated().Prompts);
        Assert.Null(Spec(null, "unet.mid.hook_out@t=0.500").Validated().Prompts);
        foreach (var (spec, says) in new[]
                 {
                     (Spec(["a red cat"], "unet.mid.hook_out@t=0.500"), "@c=caption or @c=half"),
                     (Spec(["a red cat"], "vision.blocks.0.hook_resid_post"), "none of the hooks is one"),
                     (Spec(["a cat", ""], "unet.mid.hook_out@t=0.500@c=half"), "prompt 2"),
                     (Spec(["a\u0007cat"], "unet.mid.hook_out@t=0.500@c=caption"), "prompt 1"),
                     (Spec([], "unet.mid.hook_out@t=0.500@c=caption"), "1 to 256"),
                 })
        {
            var e = Assert.Throws<ArgumentException>(() => spec.Validated());
            Assert.Contains(says, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void ThePromptsSurviveGrainStorage()
    {
        var state = new ExtractionJobState { Spec = Spec(["a red cat", "photo of a dog, blue"], "unet.mid.hook_out@t=0.500@c=caption") };
        Assert.Equal(["a red cat", "photo of a dog, blue"], Storage.Deserialize<ExtractionJobState>(Storage.Serialize(state))!.Spec!.Prompts);
    }
}
