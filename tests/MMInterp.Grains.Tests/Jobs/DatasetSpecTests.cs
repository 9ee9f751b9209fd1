using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.ExtractionJobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Xunit;

namespace MMInterp.Grains.Tests.Jobs;

/// <summary>DatasetSpec names ShapesWorld splits as before and registered user datasets by id (a field added as Id(3)).</summary>
public class DatasetSpecTests
{
    static readonly IServiceProvider Services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    static readonly OrleansGrainStorageSerializer Storage = new(Services.GetRequiredService<Serializer>());

    [Fact]
    public void ParsesShapesAndRegisteredDatasets()
    {
        Assert.Equal(new DatasetSpec("shapes", "train", 8), DatasetSpec.Parse("shapes:train:8"));
        Assert.Null(DatasetSpec.Parse("shapes:val:3").DatasetId);
        var user = DatasetSpec.Parse("dataset-0123456789abcdef:all:12");
        Assert.Equal(("dataset", "all", 12, "dataset-0123456789abcdef"), (user.World, user.Split, user.Count, user.DatasetId));
        Assert.Equal("dataset-0123456789abcdef:all:12", user.ToString());
        Assert.Throws<ArgumentException>(() => DatasetSpec.Parse("shapes:all:8")); // "all" is for registered datasets only
        Assert.Throws<ArgumentException>(() => DatasetSpec.Parse("dataset-x:holdout:8"));
        Assert.Throws<ArgumentException>(() => DatasetSpec.Registered("pets", "train", 1));
        Assert.Contains("dataset-ID", Assert.Throws<ArgumentException>(() => DatasetSpec.Parse("pets:train:8")).Message);
    }

    [Fact]
    public void JobStateWithARegisteredDatasetAndSkippedItemsRoundTripsThroughGrainStorage()
    {
        var state = new ExtractionJobState
        {
            Spec = new ExtractionJobSpec("m", ["h"], DatasetSpec.Registered("dataset-0123456789abcdef", "val", 4), 2),
        };
        state.Done[0] = new ShardOutput(0, new Dictionary<string, string> { ["h"] = "sha" }, 10, "S1", Skipped: ["cat/x.jpg: truncated"]);
        var back = Storage.Deserialize<ExtractionJobState>(Storage.Serialize(state))!;
        Assert.Equal(state.Spec.Dataset, back.Spec!.Dataset);
        Assert.Equal(["cat/x.jpg: truncated"], back.Done[0].Skipped!);
    }
}
