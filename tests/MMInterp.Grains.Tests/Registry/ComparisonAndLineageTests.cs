using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

/// <summary>
/// The compare lists' reads in SQL: settings come out of the JSON-in-JSON run configs (a sweep's from its base spec),
/// a malformed config reads as missing values instead of failing the list, nulls sort last in both orders, and a bad
/// sort key is refused by name. Lineage finds the rows an id list names and the experiments that name them anywhere.
/// </summary>
[Collection(RegistryCollection.Name)]
public class ComparisonAndLineageTests(RegistryDatabase db)
{
    RegistryStore Store => db.Store;

    static string Spec(string setId, int k, string hook = "vision.blocks.3.hook_resid_post") =>
        $$"""{"ActivationSetId": "{{setId}}", "Hook": "{{hook}}", "SaeConfigJson": "{\"Kind\":\"TopK\",\"DIn\":16,\"DSae\":128,\"K\":{{k}}}", "TrainingConfigJson": "{\"SparsityCoefficient\":0.5,\"Lr\":0.001}", "Steps": 10, "BatchSize": 64, "Seed": 3}""";

    [Fact]
    public async Task RunSettingsComeFromTheirConfigsAndAMalformedOneReadsAsMissing()
    {
        var model = await db.ModelAsync();
        var set = await Store.ActivationSets.RegisterAsync(new NewActivationSet(model.Id, ["vision.blocks.3.hook_resid_post"], "{}", 1, 10, await db.ArtefactAsync()));
        var k8 = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, Spec(set.Id, 8)));
        var broken = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining,
            $$"""{"ActivationSetId": "{{set.Id}}", "SaeConfigJson": "not json {", "TrainingConfigJson": 7, "Steps": "ten"}"""));
        var sweep = await Store.Runs.CreateAsync(new NewRun(RunKind.Sweep, $$$"""{"Base": {{{Spec(set.Id, 4)}}}, "Axes": {"sae.K": ["4", "8"]}}"""));
        await Store.Metrics.AppendAsync([new MetricPoint(k8.Id, "fvu", 0, 0.9), new MetricPoint(k8.Id, "fvu", 10, 0.3), new MetricPoint(broken.Id, "fvu", 5, 0.6)]);

        var byK = await Store.Compare.RunsAsync(new CompareQuery(Sort: "k", Descending: false, ActivationSetId: set.Id));
        Assert.Equal([sweep.Id, k8.Id, broken.Id], byK.Select(r => r.Id));
        var row = byK[1];
        Assert.Equal((model.Id, 3, "topk", 128.0, 8.0, 0.5, 0.001, 10.0, 64.0, 3.0), (row.ModelId, row.Layer, row.Architecture, row.DSae, row.K, row.SparsityCoefficient, row.Lr, row.Steps, row.BatchSize, row.Seed));
        Assert.Equal(0.3, row.Fvu); // the last logged point, not the first
        var bad = byK[2];
        Assert.Equal((model.Id, (double?)null, (double?)null, (double?)null, (string?)null, 0.6), (bad.ModelId, bad.K, bad.Steps, bad.SparsityCoefficient, bad.Hook, bad.Fvu));
        Assert.Equal([k8.Id, sweep.Id, broken.Id], (await Store.Compare.RunsAsync(new CompareQuery(Sort: "k", Descending: true, ActivationSetId: set.Id))).Select(r => r.Id));
        // Nulls last in both orders: descending by FVU puts the sweep (no series) at the end, not the start.
        Assert.Equal([broken.Id, k8.Id, sweep.Id], (await Store.Compare.RunsAsync(new CompareQuery(Sort: "fvu", ActivationSetId: set.Id))).Select(r => r.Id));
        Assert.Equal([k8.Id], (await Store.Compare.RunsAsync(new CompareQuery(ActivationSetId: set.Id, MaxFvu: 0.5))).Select(r => r.Id));
        Assert.Equal(new[] { k8.Id, broken.Id }.Order(StringComparer.Ordinal),
            (await Store.Compare.RunsAsync(new CompareQuery(Sort: "id", Descending: false, Ids: [broken.Id, k8.Id]))).Select(r => r.Id));

        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => Store.Compare.RunsAsync(new CompareQuery(Sort: "k; DROP TABLE runs")));
        Assert.StartsWith("unknown sort column 'k; DROP TABLE runs'; one of: id, kind, status", unknown.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Compare.DictionariesAsync(new CompareQuery(MaxFvu: double.NaN)));
    }

    [Fact]
    public async Task LineageFindsNamedRowsAndTheExperimentsNamingThem()
    {
        var model = await db.ModelAsync();
        var set = await Store.ActivationSets.RegisterAsync(new NewActivationSet(model.Id, ["h"], "{}", 1, 10, await db.ArtefactAsync()));
        var named = await Store.Lineage.NamedAsync([model.Id, set.Id, set.Id, "not an id!", "nope-" + Guid.NewGuid().ToString("N")]);
        Assert.Equal([("activation set", set.Id), ("model", model.Id)], named.Select(r => (r.Kind, r.Id)).Order());

        // Named deep inside results (an array in an object), or in config; an experiment naming something else is not listed.
        var deep = await Store.Experiments.CreateAsync(new NewExperiment("deep", "steering"));
        await Store.Experiments.MergeResultsAsync(deep.Id, $$$"""{"inputs": {"sets": ["x", "{{{set.Id}}}"]}}""");
        var config = await Store.Experiments.CreateAsync(new NewExperiment("config", "steering", ConfigJson: $$"""{"model": "{{model.Id}}"}"""));
        await Store.Experiments.CreateAsync(new NewExperiment("other", "steering", ConfigJson: """{"model": "someone-else"}"""));
        var found = await Store.Lineage.ExperimentsNamingAsync([model.Id, set.Id]);
        Assert.Equal(new[] { deep.Id, config.Id }.Order(), found.Select(r => r.Id).Order());
        Assert.Empty(await Store.Lineage.ExperimentsNamingAsync([]));
    }
}
