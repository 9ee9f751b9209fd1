using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Cluster;
using MMInterp.Integration.Tests.Extraction;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Work;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Experiments;

/// <summary>
/// The VLM and diffusion paths through the same grains and registry as CLIP (issues 7 and 8): a registered VLM is
/// extracted in shards, an SAE trains on its LM activations and its study is recorded as an experiment; a registered
/// diffusion model is extracted per (hook, noise level) and its study recorded. The models are small and untrained:
/// the kernels' own tests judge the figures; these judge the plumbing.
/// </summary>
public sealed class VlmAndDiffusionGrainTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>
{
    static readonly ClipZooConfig SmallClip = new() { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };

    [Fact]
    public async Task AVlmIsExtractedTrainedOnAndStudiedThroughTheGrains()
    {
        var vlmDir = await RegisterRandomVlm("vlm-e2e");
        const string lmHook = "lm.blocks.0.hook_resid_post";
        const string visionHook = "vision.blocks.0.hook_resid_post";
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-vlm");
        await job.Start(new ExtractionJobSpec("vlm-e2e", [visionHook, lmHook], DatasetSpec.Parse("shapes:val:12"), Shards: 2));
        var extracted = await JobWait.UntilFinished(job.Status);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);

        // The stored LM rows are the image-token positions of a direct run, row for row.
        var set = (await fx.Registry.ActivationSets.GetAsync(extracted.ActivationSetId!))!;
        Assert.Equal("vlm-e2e", set.ModelId);
        var restored = Path.Combine(fx.Home, "restored-vlm");
        await fx.Store.RestoreDirectoryAsync(set.IndexSha256, restored);
        var reader = new ActivationSetReader(Path.Combine(restored, lmHook));
        var stored = torch.cat(Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList(), 0);
        using (var vlm = VlmCheckpoint.Load(vlmDir).Model)
        {
            var direct = VlmActivationExtractor.Extract(vlm, new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = vlm.Config.Vision.ImageSize }),
                ShapesSplits.Val, 0, 12, [lmHook]);
            Assert.Equal(12L * vlm.Config.ImageTokens, stored.shape[0]);
            Assert.True(direct[lmHook].allclose(stored, rtol: 1e-5, atol: 1e-6), "stored VLM activations differ from a direct extraction");
        }
        var info = await fx.Cluster.Client.GetGrain<IModelGrain>("vlm-e2e").Describe();
        Assert.Equal("vlm", info.Family);
        Assert.Contains(lmHook, info.HookPoints);

        // An SAE trains on the VLM's vision-tower activations and is registered against the VLM; steering uses it.
        var sae = new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 64, K = 8 }.ToJson();
        var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>("run-vlm");
        await run.Start(new TrainingRunSpec(extracted.ActivationSetId!, visionHook, sae, new SaeTrainingConfig { Lr = 3e-3 }.ToJson(), Steps: 20, CheckpointEvery: 10, Seed: 3, BatchSize: 64, LogEvery: 10));
        var trained = await JobWait.UntilFinished(run.Status);
        Assert.True(trained.Phase == JobPhase.Succeeded, trained.Error);
        var dictionary = (await fx.Registry.Dictionaries.GetAsync("run-vlm"))!;
        Assert.Equal(("vlm-e2e", visionHook), (dictionary.ModelId, dictionary.HookPoint));

        var steer = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-vlm-steer");
        await steer.Start(new AnalysisSpec("vlm-steer", "vlm-e2e", "run-vlm", visionHook, """{"images_per_concept": 2, "selection_images": 32}"""));
        var steered = await JobWait.UntilFinished(steer.Status);
        Assert.True(steered.Phase == JobPhase.Succeeded, steered.Error);
        var steering = await Results("exp-vlm-steer", "vlm-steer");
        foreach (var figure in new[] { "vlm_steering_success", "vlm_steering_random_control", "vlm_steering_unsteered" })
            Assert.True(((JsonObject)steering["figures"]!).ContainsKey(figure), $"figure {figure} missing");
        await AssertPngs(steering, "vlm_steering");

        // The study is an experiment with figures beside their controls and pictures in the store.
        var experiment = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-vlm");
        await experiment.Start(new AnalysisSpec("vlm-study", "vlm-e2e", OptionsJson: """{"prompts": 3, "only_correct": false}"""));
        var done = await JobWait.UntilFinished(experiment.Status);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
        var results = await Results("exp-vlm", "vlm-study");
        foreach (var figure in new[] { "tracing_object_share", "tracing_object_share_random_control", "knockout_object_drop", "knockout_random_drop" })
            Assert.True(results["figures"]?[figure] is not null, $"figure {figure} missing");
        await AssertPngs(results, "tracing_resid", "tracing_patches", "logit_lens", "logit_lens_table");
        Assert.NotEmpty(results["logit_lens"]!.AsArray());
    }

    [Fact]
    public async Task ADiffusionModelIsExtractedPerNoiseLevelAndStudiedThroughTheGrains()
    {
        await RegisterRandomDiffusion("diffusion-e2e");
        string[] keys = ["denoiser.blocks.0.hook_resid_post@t=0.900", "denoiser.blocks.1.hook_resid_post@t=0.100"];
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-diffusion");
        await job.Start(new ExtractionJobSpec("diffusion-e2e", keys, DatasetSpec.Parse("shapes:val:8"), Shards: 2));
        var extracted = await JobWait.UntilFinished(job.Status);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);
        var set = (await fx.Registry.ActivationSets.GetAsync(extracted.ActivationSetId!))!;
        Assert.Equal(keys, set.HookPoints);
        Assert.Equal(8L * 64, set.RowCount); // 8 images x 64 tokens (32x32, patch 4), per key

        var experiment = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-diffusion");
        await experiment.Start(new AnalysisSpec("diffusion-study", "diffusion-e2e", OptionsJson: """
            {"train_images": 16, "test_images": 16, "timesteps": [0.9, 0.1], "trajectory_prompts": 0, "lens_prompts": 2, "pictured": 1,
             "ablation_images": 8, "loss_images": 8, "role_images": 16}
            """));
        var done = await JobWait.UntilFinished(experiment.Status);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
        var results = await Results("exp-diffusion", "diffusion-study");
        // An untrained model's figures may be undefined (no attribute ever decodable): recorded as null, never dropped.
        var figures = (JsonObject)results["figures"]!;
        foreach (var figure in new[] { "temporal_colour_before_fill", "ablation_rank_agreement", "baseline_colour_accuracy", "earliest_t_colour", "critical_block_loss_increase_pct" })
            Assert.True(figures.ContainsKey(figure), $"figure {figure} missing from {figures}");
        Assert.Equal(3, results["ablations"]!.AsArray().Count(a => a!["Kind"]!.GetValue<string>() == "block")); // each block, then all of them
        await AssertPngs(results, "temporal_curves", "temporal_pixel_control", "lens_0", "cross_attention_0", "samples", "ablations");
        Assert.Contains(results["ablations"]!.AsArray(), a => a!["Kind"]!.GetValue<string>() == "attn" && a["role"] is not null);
    }

    [Fact]
    public async Task TimestepSaesTrainedThroughTheGrainsSteerDiffusionSampling()
    {
        await RegisterRandomDiffusion("diffusion-steer");
        // Captioned keys (the conditioning travels in the set's hook name), and one null-caption key to show mixing refused.
        string[] keys = ["denoiser.blocks.1.hook_resid_post@t=0.900@c=caption", "denoiser.blocks.1.hook_resid_post@t=0.100@c=caption", "denoiser.blocks.1.hook_resid_post@t=0.100"];
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-diffusion-steer");
        await job.Start(new ExtractionJobSpec("diffusion-steer", keys, DatasetSpec.Parse("shapes:val:8"), Shards: 2));
        var extracted = await JobWait.UntilFinished(job.Status);
        Assert.True(extracted.Phase == JobPhase.Succeeded, extracted.Error);
        Assert.Equal(keys, (await fx.Registry.ActivationSets.GetAsync(extracted.ActivationSetId!))!.HookPoints);

        // One ordinary registered dictionary per key, each trained by a TrainingRun grain.
        var sae = new SaeConfig { Kind = SaeKind.TopK, DIn = 32, DSae = 64, K = 8 }.ToJson();
        string[] runs = ["run-diffusion-t900", "run-diffusion-t100", "run-diffusion-t100-null"];
        for (var i = 0; i < keys.Length; i++)
        {
            var run = fx.Cluster.Client.GetGrain<ITrainingRunGrain>(runs[i]);
            await run.Start(new TrainingRunSpec(extracted.ActivationSetId!, keys[i], sae, new SaeTrainingConfig { Lr = 3e-3 }.ToJson(), Steps: 20, CheckpointEvery: 10, Seed: 3, BatchSize: 64, LogEvery: 10));
            var trained = await JobWait.UntilFinished(run.Status);
            Assert.True(trained.Phase == JobPhase.Succeeded, trained.Error);
        }

        var experiment = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-diffusion-steer");
        await experiment.Start(new AnalysisSpec("diffusion-steer", "diffusion-steer", OptionsJson: $$"""
            {"dictionaries": ["{{runs[0]}}", "{{runs[1]}}"], "prompts_per_colour": 1, "selection_images": 64, "pictured": 1}
            """));
        var done = await JobWait.UntilFinished(experiment.Status);
        Assert.True(done.Phase == JobPhase.Succeeded, done.Error);
        var results = await Results("exp-diffusion-steer", "diffusion-steer");
        var figures = (JsonObject)results["figures"]!;
        foreach (var figure in new[] { "diffusion_steering_success", "diffusion_steering_random_control", "diffusion_steering_unsteered", "success_early", "success_late" })
            Assert.True(figures.ContainsKey(figure), $"figure {figure} missing from {figures}");
        Assert.Equal([0.9, 0.1], results["levels"]!.AsArray().Select(l => l!.GetValue<double>()));
        Assert.Equal("caption", results["conditioning"]!.GetValue<string>());
        Assert.Equal(AttributeWords.Colours.Length * 2, results["features"]!.AsArray().Count); // a feature per colour per level
        await AssertPngs(results, "steering_grid", "steering_success");

        // A dictionary that is not registered fails the experiment with its name.
        var missing = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-diffusion-steer-missing");
        await missing.Start(new AnalysisSpec("diffusion-steer", "diffusion-steer", OptionsJson: """{"dictionaries": ["run-vlm-not-here"]}"""));
        var refused = await JobWait.UntilFinished(missing.Status);
        Assert.Equal(JobPhase.Failed, refused.Phase);
        Assert.Contains("run-vlm-not-here", refused.Error);

        // Levels read under different conditionings are refused, naming both dictionaries.
        var mixed = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-diffusion-steer-mixed");
        await mixed.Start(new AnalysisSpec("diffusion-steer", "diffusion-steer", OptionsJson: $$"""{"dictionaries": ["{{runs[0]}}", "{{runs[2]}}"]}"""));
        refused = await JobWait.UntilFinished(mixed.Status);
        Assert.Equal(JobPhase.Failed, refused.Phase);
        Assert.Contains("one caption conditioning", refused.Error);
        Assert.Contains(runs[2], refused.Error);
    }

    [Fact]
    public async Task AStudyOfTheWrongFamilyAndADiffusionHookWithoutANoiseLevelFailClearly()
    {
        var experiment = fx.Cluster.Client.GetGrain<IExperimentGrain>("exp-wrong-family");
        await experiment.Start(new AnalysisSpec("vlm-study", "clip-e2e"));
        var done = await JobWait.UntilFinished(experiment.Status);
        Assert.Equal(JobPhase.Failed, done.Phase);
        Assert.Contains("needs a vlm model", done.Error);

        await RegisterRandomDiffusion("diffusion-bad-hook");
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-no-t");
        await job.Start(new ExtractionJobSpec("diffusion-bad-hook", ["denoiser.blocks.0.hook_resid_post"], DatasetSpec.Parse("shapes:val:4"), Shards: 1, MaxAttemptsPerShard: 1));
        var failed = await JobWait.UntilFinished(job.Status);
        Assert.Equal(JobPhase.Failed, failed.Phase);
        Assert.Contains("@t=", failed.Error);
        Assert.Null(await fx.Registry.ActivationSets.GetAsync("actset-ext-no-t"));
    }

    async Task<JsonObject> Results(string id, string kind)
    {
        var record = (await fx.Registry.Experiments.GetAsync(id))!;
        Assert.Equal(kind, record.Kind);
        Assert.Equal(RunStatus.Succeeded, (await fx.Registry.Runs.GetAsync(id))!.Status);
        return (JsonObject)JsonNode.Parse(record.ResultsJson)!;
    }

    async Task AssertPngs(JsonObject results, params string[] names)
    {
        foreach (var name in names)
        {
            var sha = results["images"]?[name]?.GetValue<string>();
            Assert.True(sha is not null, $"image {name} missing from {results["images"]}");
            var bytes = await fx.Store.ReadAllBytesAsync(sha);
            Assert.Equal(0x89, bytes[0]); // PNG signature
        }
    }

    async Task<string> RegisterRandomVlm(string id)
    {
        torch.manual_seed(7);
        var config = new VlmZooConfig { Clip = SmallClip, LmWidth = 32, LmLayers = 1, LmHeads = 2 };
        var vocabulary = VlmQuestions.Vocabulary(config.QuestionMark);
        var dir = Path.Combine(fx.Home, id);
        using (var model = new VlmModel(config.ModelConfig(vocabulary.Count))) VlmCheckpoint.Save(model, vocabulary, dir);
        await ModelRegistration.RegisterDirectoryAsync(fx.Store, fx.Registry, id, $"tiny vlm {id} (random)", ModelFamily.Vlm, dir, "{}");
        return dir;
    }

    async Task RegisterRandomDiffusion(string id)
    {
        torch.manual_seed(9);
        var config = DiffusionZooConfig.Default with { Width = 32, Layers = 2, Heads = 2, ContextLength = 14, SampleSteps = 4, ClassifierSteps = 1 };
        var tokenizer = ShapesVocabulary.Build();
        var clip = new ClipModel(SmallClip.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        var text = new TextConditioner(clip, tokenizer, config.ContextLength);
        using var bundle = new DiffusionBundle(new DiffusionTransformer(config.ModelConfig(text.Width)), text, new AttributeClassifier(config.ImageSize), config);
        var dir = Path.Combine(fx.Home, id);
        DiffusionCheckpoint.Save(bundle, dir);
        await ModelRegistration.RegisterDirectoryAsync(fx.Store, fx.Registry, id, $"tiny diffusion {id} (random)", ModelFamily.Diffusion, dir, "{}");
    }
}
