using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

/// <summary>Runs and experiments filtered by kind, status, model (through lineage and config) and creation date, in a
/// real PostgreSQL shared with other tests (so every check is scoped by a model of its own).</summary>
[Collection(RegistryCollection.Name)]
public class RunAndExperimentFilterTests(RegistryDatabase db)
{
    RegistryStore Store => db.Store;

    [Fact]
    public async Task RunsAreFoundByKindStatusModelAndDate()
    {
        var model = await db.ModelAsync();
        var other = await db.ModelAsync();
        var extraction = await Store.Runs.CreateAsync(new NewRun(RunKind.Extraction));
        var set = await Store.ActivationSets.RegisterAsync(new NewActivationSet(model.Id, ["vision.blocks.1.hook_resid_post"], """{"dataset": "shapes"}""", 1, 10,
            await db.ArtefactAsync("json"), ExtractionRunId: extraction.Id));
        var training = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, $$"""{"ActivationSetId": "{{set.Id}}"}"""));
        var made = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining));
        await Store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.1.hook_resid_post", SaeArchitecture.TopK, 64, 128, model.CheckpointSha256!, TrainingRunId: made.Id));
        var analysis = await Store.Runs.CreateAsync(new NewRun(RunKind.Analysis, $$"""{"ModelId": "{{model.Id}}"}"""));
        var elsewhere = await Store.Runs.CreateAsync(new NewRun(RunKind.Analysis, $$"""{"ModelId": "{{other.Id}}"}"""));
        await Store.Runs.SetStatusAsync(made.Id, RunStatus.Failed, "out of memory");
        await Store.Runs.SetStatusAsync(analysis.Id, RunStatus.Running);

        async Task<List<string>> Ids(RunFilter f) => (await Store.Runs.SearchAsync(f)).Select(r => r.Id).ToList();
        // Newest first.
        Assert.Equal([analysis.Id, made.Id, training.Id, extraction.Id], await Ids(new RunFilter(ModelId: model.Id)));
        Assert.Equal([elsewhere.Id], await Ids(new RunFilter(ModelId: other.Id)));
        Assert.Equal([made.Id, training.Id], await Ids(new RunFilter(Kind: RunKind.SaeTraining, ModelId: model.Id)));
        Assert.Equal([made.Id], await Ids(new RunFilter(Status: RunStatus.Failed, ModelId: model.Id)));
        Assert.Equal([analysis.Id], await Ids(new RunFilter(Status: RunStatus.Running, Kind: RunKind.Analysis, ModelId: model.Id)));
        Assert.Equal([analysis.Id, made.Id], await Ids(new RunFilter(ModelId: model.Id, Since: made.CreatedAt)));
        Assert.Equal([training.Id, extraction.Id], await Ids(new RunFilter(ModelId: model.Id, Until: made.CreatedAt)));
        Assert.Equal([made.Id], await Ids(new RunFilter(ModelId: model.Id, Since: made.CreatedAt, Until: analysis.CreatedAt)));
        Assert.Empty(await Ids(new RunFilter(ModelId: "model-nobody")));
        Assert.Contains("must be before", (await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.Runs.SearchAsync(new RunFilter(Since: made.CreatedAt, Until: made.CreatedAt)))).Message);
    }

    [Fact]
    public async Task ExperimentsAreFoundByKindStatusModelDateAndText()
    {
        var model = await db.ModelAsync();
        var sae = await Store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.1.hook_resid_post", SaeArchitecture.TopK, 64, 128, model.CheckpointSha256!));
        var byModel = await Store.Experiments.CreateAsync(new NewExperiment("study of the tower", "clip-study", ConfigJson: $$"""{"model": "{{model.Id}}"}"""));
        var byDictionary = await Store.Experiments.CreateAsync(new NewExperiment("probe colours", "probe", "50%_done", $$"""{"dictionary": "{{sae.Id}}"}"""));
        await Store.Experiments.CreateAsync(new NewExperiment("unrelated", "probe"));

        async Task<List<string>> Ids(ExperimentFilter f) => (await Store.Experiments.SearchAsync(f)).Select(e => e.Id).ToList();
        Assert.Equal([byDictionary.Id, byModel.Id], await Ids(new ExperimentFilter(ModelId: model.Id)));
        Assert.Equal([byDictionary.Id], await Ids(new ExperimentFilter(Kind: "probe", ModelId: model.Id)));
        Assert.Equal([byDictionary.Id], await Ids(new ExperimentFilter(ModelId: model.Id, Since: byDictionary.CreatedAt)));
        Assert.Equal([byModel.Id], await Ids(new ExperimentFilter(ModelId: model.Id, Text: "TOWER")));
        Assert.Equal([byDictionary.Id], await Ids(new ExperimentFilter(ModelId: model.Id, Text: "50%_"))); // wildcards literal
        Assert.Empty(await Ids(new ExperimentFilter(ModelId: model.Id, Text: "5_%")));
        await Store.Experiments.SetStatusAsync(byModel.Id, RunStatus.Failed, "out of memory");
        Assert.Equal([byModel.Id], await Ids(new ExperimentFilter(ModelId: model.Id, Status: RunStatus.Failed)));
        Assert.Equal([byDictionary.Id], await Ids(new ExperimentFilter(ModelId: model.Id, Status: RunStatus.Pending)));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Experiments.SearchAsync(new ExperimentFilter(Kind: "Bad Kind")));
    }
}
