using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Extraction;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Experiments;

/// <summary>
/// The CLIP study as an experiment: an accelerator silo runs it against a registered model and dictionary, and the
/// registry ends up with the experiment's figures and pictures, one stats row per feature and labels that point
/// back to the experiment. The kernels' own tests judge the figures; this one judges the plumbing.
/// </summary>
public sealed class ClipStudyExperimentTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>
{
    const string Hook = "vision.blocks.1.hook_resid_post";
    const string Options = """{"images": 48, "dashboards": 2, "steer_features": 3, "steer_images": 8, "typographic_images": 16, "typographic_calibration_images": 16, "typographic_candidates": 8}""";

    [Fact]
    public async Task AStudyRecordsFiguresFeatureStatsLabelsAndPictures()
    {
        var dictionary = await RegisterRandomSae("dict-study", dSae: 48);
        var grain = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-study");
        var spec = new AnalysisSpec("clip-study", "clip-e2e", dictionary, Hook, Options);
        await grain.Start(spec);
        var done = await Wait(grain);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);

        var experiment = await fx.Registry.Experiments.GetAsync("exp-study");
        Assert.NotNull(experiment);
        Assert.Equal("clip-study", experiment.Kind);
        var results = JsonNode.Parse(experiment.ResultsJson)!;
        // A random SAE on a random CLIP may detect no concept, and free-label accuracy is then undefined: recorded as
        // null, never dropped. Which way it falls depends on the random weights, so only presence is asserted for it.
        var figures = (JsonObject)results["figures"]!;
        foreach (var figure in new[] { "concept_recovery", "steerable_share", "steerable_share_random", "typographic_attack_drop", "zero_shot_colour_sae_inserted" })
            Assert.True(figures[figure] is not null, $"figure {figure} missing from {experiment.ResultsJson}");
        foreach (var figure in new[] { "free_label_accuracy", "free_label_accuracy_concept_directions", "detector_concept_cosine" })
            Assert.True(figures.ContainsKey(figure), $"figure {figure} missing from {experiment.ResultsJson}");
        foreach (var image in new[] { "concept_recovery", "steering", "typographic" })
        {
            var sha = results["images"]![image]!.GetValue<string>();
            var bytes = await fx.Store.ReadAllBytesAsync(sha);
            Assert.Equal(0x89, bytes[0]); // PNG signature
        }

        var features = await fx.Registry.Features.ListAsync(dictionary);
        Assert.Equal(48, features.Count);
        var withPictures = features.Select(f => JsonNode.Parse(f.StatsJson)!).Where(s => s["images"]?["top_examples"] is not null).ToList();
        Assert.Equal(2, withPictures.Count);
        Assert.All(withPictures, s => Assert.True(fx.Store.Contains(s["images"]!["histogram"]!.GetValue<string>())));
        Assert.All(features, f => Assert.Equal(Hook, JsonNode.Parse(f.StatsJson)!["hook"]!.GetValue<string>()));

        var labels = await fx.Registry.Features.GetLabelsAsync(dictionary);
        Assert.Contains(labels, l => l.Method == LabelMethod.FreeLabel);
        Assert.All(labels, l => Assert.Equal("exp-study", l.ExperimentId));
        Assert.Equal(RunStatus.Succeeded, (await fx.Registry.Runs.GetAsync("exp-study"))!.Status);
        var recorded = (await fx.Registry.Experiments.GetAsync("exp-study"))!;
        Assert.Equal((RunStatus.Succeeded, null), (recorded.Status, recorded.Error));

        // Started again with the same spec: nothing is run or recorded twice.
        var again = await grain.Start(spec);
        Assert.Equal(JobPhase.Succeeded, again.Phase);
        Assert.Equal(labels.Count, (await fx.Registry.Features.GetLabelsAsync(dictionary)).Count);
    }

    [Fact]
    public async Task AStudyOfADictionaryFromAnotherHookFailsWithAClearError()
    {
        var dictionary = await RegisterRandomSae("dict-hook", dSae: 16);
        var grain = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-bad-hook");
        await grain.Start(new AnalysisSpec("clip-study", "clip-e2e", dictionary, "vision.blocks.0.hook_resid_post", Options));
        var done = await Wait(grain);
        Assert.Equal(JobPhase.Failed, done.Phase);
        Assert.Contains("reads hook", done.Error);
        var run = (await fx.Registry.Runs.GetAsync("exp-bad-hook"))!;
        Assert.Equal(RunStatus.Failed, run.Status);
        // The experiment itself is visibly failed, with the reason, and its analysis run belongs to it (issue 19).
        var experiment = (await fx.Registry.Experiments.GetAsync("exp-bad-hook"))!;
        Assert.Equal(RunStatus.Failed, experiment.Status);
        Assert.Contains("reads hook", experiment.Error);
        Assert.Equal("exp-bad-hook", run.ExperimentId);
    }

    [Fact]
    public async Task AnUnknownAnalysisKindFails()
    {
        var grain = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-unknown");
        await grain.Start(new AnalysisSpec("no-such-analysis", "clip-e2e"));
        var done = await Wait(grain);
        Assert.Equal(JobPhase.Failed, done.Phase);
        Assert.Contains("unknown analysis kind", done.Error);
        var experiment = (await fx.Registry.Experiments.GetAsync("exp-unknown"))!;
        Assert.Equal(RunStatus.Failed, experiment.Status);
        Assert.Contains("unknown analysis kind", experiment.Error);
    }

    [Fact]
    public async Task DashboardsAsManyAsTheDictionaryIsWideCoverEveryLiveFeature()
    {
        var dictionary = await RegisterRandomSae("dict-every-dashboard", dSae: 24);
        var grain = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-every-dashboard");
        await grain.Start(new AnalysisSpec("clip-study", "clip-e2e", dictionary, Hook, Options.Replace("\"dashboards\": 2", "\"dashboards\": 24")));
        var done = await Wait(grain);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
        var stats = (await fx.Registry.Features.ListAsync(dictionary)).Select(f => JsonNode.Parse(f.StatsJson)!).ToList();
        var live = stats.Where(s => s["density"]?.GetValue<double>() > 0).ToList();
        Assert.True(live.Count > 2, $"only {live.Count} live features");
        // Not only the features that detect a concept or steer: every live one, as the dictionary page promises.
        Assert.All(live, s => Assert.NotNull(s["images"]?["top_examples"]));
    }

    async Task<string> RegisterRandomSae(string id, int dSae)
    {
        torch.manual_seed(11);
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = dSae, K = 4, Seed = 3 });
        var path = Path.Combine(fx.Home, $"{id}.safetensors");
        SaeCheckpoint.SaveSae(path, sae);
        var artefact = await fx.Store.PutFileAsync(path, ArtefactKind.Safetensors);
        await fx.Registry.Artefacts.RecordAsync(artefact);
        await fx.Registry.Dictionaries.RegisterAsync(new NewDictionary("clip-e2e", Hook, SaeArchitecture.TopK, 32, dSae, artefact.Sha256, Id: id));
        return id;
    }

    static async Task<JobProgress> Wait(IExperimentGrain grain)
    {
        var deadline = DateTime.UtcNow.AddMinutes(8);
        while (true)
        {
            var p = await grain.Status();
            if (p.Finished || DateTime.UtcNow > deadline) return p;
            await Task.Delay(250);
        }
    }
}
