using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

[Collection(RegistryCollection.Name)]
public class ModelAndLineageTests(RegistryDatabase db)
{
    RegistryStore Store => db.Store;

    [Fact]
    public async Task ModelsRoundTripAndAreListedAndFoundByName()
    {
        var ckpt = await db.ArtefactAsync();
        var m = await Store.Models.RegisterAsync(new NewModel("tiny-vlm-" + Guid.NewGuid().ToString("N")[..6], ModelFamily.Vlm,
            """{"layers": 2, "d_model": 64}""", ckpt));

        Assert.StartsWith("model-", m.Id);
        var back = await Store.Models.GetAsync(m.Id);
        Assert.Equal(m, back);
        Assert.Equal(ModelFamily.Vlm, back!.Family);
        Assert.Contains("\"layers\": 2", back.SpecJson);
        Assert.Equal(ckpt, back.CheckpointSha256);
        Assert.Equal(m, await Store.Models.GetByNameAsync(m.Name));
        Assert.Contains(m, await Store.Models.ListAsync(ModelFamily.Vlm));
        Assert.DoesNotContain(m, await Store.Models.ListAsync(ModelFamily.Diffusion));
        Assert.Null(await Store.Models.GetAsync("model-nonexistent"));
    }

    [Fact]
    public async Task DuplicateModelNamesAndUnknownReferencesAreRefused()
    {
        var m = await db.ModelAsync();
        await Assert.ThrowsAsync<RegistryConflictException>(() => Store.Models.RegisterAsync(new NewModel(m.Name, ModelFamily.Clip)));

        var unknownArtefact = new string('f', 64);
        var e = await Assert.ThrowsAsync<RegistryReferenceException>(() =>
            Store.Models.RegisterAsync(new NewModel("orphan-" + Guid.NewGuid(), ModelFamily.Clip, CheckpointSha256: unknownArtefact)));
        Assert.Contains(unknownArtefact, e.Message); // the detail names the missing key
        await Assert.ThrowsAsync<RegistryReferenceException>(() =>
            Store.Models.RegisterAsync(new NewModel("orphan-" + Guid.NewGuid(), ModelFamily.Clip, TrainingRunId: "run-missing")));
    }

    [Fact]
    public async Task InvalidInputIsRejectedBeforeTheDatabase()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Models.RegisterAsync(new NewModel("x", ModelFamily.Clip, "[1, 2]")));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Models.RegisterAsync(new NewModel("x", ModelFamily.Clip, "{not json")));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Models.RegisterAsync(new NewModel("x", ModelFamily.Clip, Id: "bad id; drop table models")));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Models.ListAsync(limit: 0));
    }

    [Fact]
    public async Task ActivationSetsAndDictionariesKeepTheirLineage()
    {
        var model = await db.ModelAsync();
        var extraction = await Store.Runs.CreateAsync(new NewRun(RunKind.Extraction));
        string[] hooks = ["vision.blocks.1.hook_resid_post", "vision.blocks.2.hook_resid_post"];
        var acts = await Store.ActivationSets.RegisterAsync(new NewActivationSet(model.Id, hooks,
            """{"world": "shapes", "seed": 1, "count": 4096}""", 8, 4096 * 65, await db.ArtefactAsync("json"), extraction.Id));

        var actsBack = await Store.ActivationSets.GetAsync(acts.Id);
        Assert.NotNull(actsBack);
        Assert.Equal(hooks, actsBack.HookPoints);
        Assert.Equal((8, 4096L * 65, extraction.Id), (actsBack.ShardCount, actsBack.RowCount, actsBack.ExtractionRunId));
        Assert.Contains(await Store.ActivationSets.ListAsync(hookPoint: hooks[1]), a => a.Id == acts.Id);
        Assert.DoesNotContain(await Store.ActivationSets.ListAsync(hookPoint: "text.blocks.0.hook_resid_post"), a => a.Id == acts.Id);

        var training = await Store.Runs.CreateAsync(new NewRun(RunKind.SaeTraining, """{"lr": 0.0003}"""));
        var sae = await Store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, hooks[0], SaeArchitecture.TopK, 64, 1024,
            await db.ArtefactAsync(), """{"k": 32}""", """{"fvu": 0.12}""", acts.Id, training.Id));
        var saeBack = await Store.Dictionaries.GetAsync(sae.Id);
        Assert.Equal(sae, saeBack);
        Assert.Equal((model.Id, acts.Id, training.Id, SaeArchitecture.TopK), (saeBack!.ModelId, saeBack.ActivationSetId, saeBack.TrainingRunId, saeBack.Architecture));

        var merged = await Store.Dictionaries.MergeMetricsAsync(sae.Id, """{"l0": 31.5}""");
        Assert.Contains("\"fvu\": 0.12", merged.MetricsJson);
        Assert.Contains("\"l0\": 31.5", merged.MetricsJson);
        Assert.Contains(await Store.Dictionaries.ListAsync(model.Id, hooks[0]), d => d.Id == sae.Id);
        Assert.Empty(await Store.Dictionaries.ListAsync(model.Id, hooks[1]));
    }

    [Fact]
    public async Task ForeignKeysAreEnforced()
    {
        var model = await db.ModelAsync();
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.ActivationSets.RegisterAsync(
            new NewActivationSet("model-missing", ["h"], "{}", 1, 1, model.CheckpointSha256!)));
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.Dictionaries.RegisterAsync(
            new NewDictionary(model.Id, "h", SaeArchitecture.Relu, 4, 8, model.CheckpointSha256!, ActivationSetId: "acts-missing")));
        await Assert.ThrowsAsync<RegistryReferenceException>(() => Store.Dictionaries.RegisterAsync(
            new NewDictionary(model.Id, "h", SaeArchitecture.Relu, 4, 8, new string('0', 64))));

        // A model still referenced by a dictionary cannot be deleted behind the registry's back.
        await Store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "h", SaeArchitecture.Relu, 4, 8, model.CheckpointSha256!));
        var e = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.ScalarAsync("DELETE FROM models WHERE id = $1", model.Id));
        Assert.Equal(Npgsql.PostgresErrorCodes.ForeignKeyViolation, e.SqlState);
    }

    [Fact]
    public async Task ExperimentsMergeResultsAndGroupRuns()
    {
        var exp = await Store.Experiments.CreateAsync(new NewExperiment("steer colours", "steering", "clamp colour features", """{"seeds": [1, 2, 3]}"""));
        await Store.Experiments.MergeResultsAsync(exp.Id, """{"steerable_share": 0.14}""");
        var after = await Store.Experiments.MergeResultsAsync(exp.Id, """{"random_share": 0.02, "steerable_share": 0.15}""");
        Assert.Contains("\"random_share\": 0.02", after.ResultsJson);
        Assert.Contains("\"steerable_share\": 0.15", after.ResultsJson);
        Assert.DoesNotContain("0.14", after.ResultsJson);
        Assert.Equal(after, await Store.Experiments.GetAsync(exp.Id));
        Assert.Contains(await Store.Experiments.ListAsync("steering"), x => x.Id == exp.Id);

        var run = await Store.Runs.CreateAsync(new NewRun(RunKind.Analysis, ExperimentId: exp.Id));
        Assert.Equal(exp.Id, run.ExperimentId);
        await Assert.ThrowsAsync<RegistryNotFoundException>(() => Store.Experiments.MergeResultsAsync("exp-missing", "{}"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Experiments.CreateAsync(new NewExperiment("x", "Not A Kind")));
    }

    [Fact]
    public async Task ArtefactRecordsAreIdempotentAndConsistent()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-reg-{Guid.NewGuid():N}");
        try
        {
            var store = new Kernels.Artefacts.ArtefactStore(dir);
            var stored = await store.PutAsync("hello registry"u8.ToArray(), Kernels.Artefacts.ArtefactKind.Text);
            var a = await Store.Artefacts.RecordAsync(stored);
            var b = await Store.Artefacts.RecordAsync(stored);
            Assert.Equal(a, b);
            Assert.Equal(stored, a.ToRef());
            Assert.Equal(a, await Store.Artefacts.GetAsync(stored.Sha256));
            Assert.Contains(await Store.Artefacts.ListAsync("text"), x => x.Sha256 == stored.Sha256);
            await Assert.ThrowsAsync<RegistryConflictException>(() =>
                Store.Artefacts.RecordAsync(new Kernels.Artefacts.ArtefactRef(stored.Sha256, stored.Size + 1, stored.Kind)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
