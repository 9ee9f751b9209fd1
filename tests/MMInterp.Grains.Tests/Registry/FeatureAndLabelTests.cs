using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

[Collection(RegistryCollection.Name)]
public class FeatureAndLabelTests(RegistryDatabase db)
{
    RegistryStore Store => db.Store;

    async Task<DictionaryRecord> DictionaryAsync()
    {
        var model = await db.ModelAsync();
        return await Store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.1.hook_resid_post", SaeArchitecture.Relu, 64, 2048, model.CheckpointSha256!));
    }

    [Fact]
    public async Task FeatureStatsAreUpsertedInBulk()
    {
        var sae = await DictionaryAsync();
        var stats = Enumerable.Range(0, 2048).Select(i => new FeatureStats(i, $$"""{"density": {{i / 4096.0}}}""")).ToList();
        Assert.Equal(2048, await Store.Features.UpsertStatsAsync(sae.Id, stats));
        Assert.Equal(2048, await Store.Features.UpsertStatsAsync(sae.Id, [.. stats.Take(2048 - 1), new FeatureStats(2047, """{"density": 0, "dead": true}""")]));

        var last = await Store.Features.GetAsync(sae.Id, 2047);
        Assert.Contains("\"dead\": true", last!.StatsJson);
        var page = await Store.Features.ListAsync(sae.Id, fromIndex: 100, limit: 10);
        Assert.Equal(Enumerable.Range(100, 10), page.Select(f => f.Index));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.UpsertStatsAsync(sae.Id, [new(1, "{}"), new(1, "{}")]));
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.Features.UpsertStatsAsync("sae-missing", [new(0, "{}")]));
        var outOfRange = await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.UpsertStatsAsync(sae.Id, [new(2048, "{}")]));
        Assert.Contains("feature index 2048 is out of range", outOfRange.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.UpsertLabelsAsync(sae.Id, [new(5000, "x", 1, LabelMethod.Manual)]));
        Assert.Equal((2048L, 0L), await Store.Features.CountAsync(sae.Id));
    }

    [Fact]
    public async Task LabelsUpsertByFeatureMethodAndLabelAndAreSearchable()
    {
        var sae = await DictionaryAsync();
        var exp = await Store.Experiments.CreateAsync(new NewExperiment("free labels", "labeling"));
        var word = "zz" + Guid.NewGuid().ToString("N")[..8]; // unique across tests sharing the database
        await Store.Features.UpsertLabelsAsync(sae.Id,
        [
            new(7, $"{word} red", 0.61, LabelMethod.FreeLabel, exp.Id),
            new(7, $"{word} orange", 0.40, LabelMethod.FreeLabel, exp.Id),
            new(7, $"{word} red", 1.0, LabelMethod.GroundTruth),
            new(9, $"{word}_striped", 0.3, LabelMethod.Steering),
        ]);
        // Re-running free labeling updates the score in place.
        await Store.Features.UpsertLabelsAsync(sae.Id, [new(7, $"{word} red", 0.72, LabelMethod.FreeLabel, exp.Id)]);

        var seven = await Store.Features.GetLabelsAsync(sae.Id, 7);
        Assert.Equal([(LabelMethod.GroundTruth, 1.0), (LabelMethod.FreeLabel, 0.72), (LabelMethod.FreeLabel, 0.40)], seven.Select(l => (l.Method, l.Score)));
        Assert.NotNull(await Store.Features.GetAsync(sae.Id, 9)); // labeling created the feature row
        Assert.Equal(4, (await Store.Features.GetLabelsAsync(sae.Id)).Count);

        var found = await Store.Features.SearchLabelsAsync(word.ToUpperInvariant() + " R");
        Assert.Equal([1.0, 0.72], found.Select(l => l.Score));
        Assert.Equal([0.72], (await Store.Features.SearchLabelsAsync(word + " r", LabelMethod.FreeLabel)).Select(l => l.Score));
        // '_' is matched literally, not as LIKE's any-character.
        Assert.Equal([$"{word}_striped"], (await Store.Features.SearchLabelsAsync(word + "_")).Select(l => l.Label));
        Assert.Empty(await Store.Features.SearchLabelsAsync(word + "%"));

        await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.Features.UpsertLabelsAsync(sae.Id, [new(1, "x", 1, LabelMethod.Manual, "exp-missing")]));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.UpsertLabelsAsync(sae.Id, [new(1, " ", 1, LabelMethod.Manual)]));
    }
}
