using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using MMInterp.Silo.Storage;
using TorchSharp;
using Xunit;

namespace MMInterp.Client.Tests.Studies;

/// <summary>
/// A study command as users run it: `mminterp probe --model DIR` on the embedded default. The directory is registered
/// as a model first, the probes run as an experiment on the cluster (not in the CLI process), and the experiment's
/// figures and picture come back: the registry holds the experiment with the options the command line gave.
/// </summary>
public sealed class StudyCommandExperimentTests : IAsyncLifetime
{
    readonly EmbeddedCli _cli = new("study");
    string _home => _cli.Home;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _cli.DisposeAsync();

    [Fact]
    public async Task ProbeOnAModelDirectoryRegistersItAndRunsAsAnExperiment()
    {
        var model = WriteClip(Path.Combine(_home, "tiny-clip"));
        var png = Path.Combine(_home, "out", "probe.png");
        var run = await Run("probe", "--model", model, "--attribute", "colour,shape", "--train-images", "16", "--test-images", "16", "--out", png);
        Assert.True(run.Code == 0, run.Output);
        Assert.True(new FileInfo(png).Length > 200, "the probe plot was not written");
        Assert.Contains("figure probe_colour_best_accuracy:", run.Output);

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var registered = Assert.Single(await registry.Models.ListAsync());
        Assert.StartsWith("clip-dir-", registered.Id);
        var experiment = Assert.Single(await registry.Experiments.ListAsync());
        Assert.Equal(ProbeAnalysis.Kind, experiment.Kind);
        var config = JsonNode.Parse(experiment.ConfigJson)!;
        Assert.Equal(registered.Id, config["model"]!.GetValue<string>());
        Assert.Equal(16, config["options"]!["train_images"]!.GetValue<int>());
        var results = JsonNode.Parse(experiment.ResultsJson)!;
        Assert.NotNull(results["figures"]!["probe_shape_best_accuracy"]);
        Assert.Equal(1.0 / AttributeWords.Count(ObjectAttribute.Shape), results["figures"]!["probe_shape_chance"]!.GetValue<double>(), 6);
        Assert.Contains(results["controls"]!.AsArray(), c => c!["figure"]!.GetValue<string>() == "probe_colour_best_accuracy");

        // The same directory again is the same model, not a second registration.
        var again = await Run("probe", "--model", model, "--train-images", "16", "--test-images", "16", "--out", png);
        Assert.True(again.Code == 0, again.Output);
        Assert.Single(await registry.Models.ListAsync());
        Assert.Equal(2, (await registry.Experiments.ListAsync()).Count);
    }

    /// <summary>`diffusion train`, `diffusion extract` and `diffusion sae --activations SET` chained as a user runs them:
    /// the training is a zoo build on the cluster conditioned on a CLIP directory (registered first), the extraction
    /// a job whose activation set the SAEs then train on, all recorded in the registry.</summary>
    [Fact]
    public async Task DiffusionTrainExtractAndSaeGoThroughTheCluster()
    {
        var clip = WriteClip(Path.Combine(_home, "text-clip"));
        var exported = Path.Combine(_home, "diffusion");
        var train = await Run("diffusion", "train", "--text-encoder", clip, "--out", exported, "--steps", "20", "--batch", "8", "--width", "32",
            "--layers", "1", "--sample-steps", "2", "--eval-images", "8");
        Assert.True(train.Code == 0, train.Output);
        Assert.Contains("generated-image accuracy", train.Output);
        Assert.True(File.Exists(Path.Combine(exported, DiffusionCheckpoint.ConfigFile)), train.Output);

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var models = await registry.Models.ListAsync();
        var textEncoder = Assert.Single(models, m => m.Family == ModelFamily.Clip);
        var diffusion = Assert.Single(models, m => m.Family == ModelFamily.Diffusion);
        Assert.Equal(textEncoder.Id, JsonNode.Parse(diffusion.SpecJson)!["text_encoder"]!.GetValue<string>());
        Assert.NotNull(diffusion.TrainingRunId); // the zoo build is the model's training run

        const string hook = "denoiser.blocks.0.hook_resid_post";
        var extract = await Run("diffusion", "extract", "--model", diffusion.Id, "--hooks", hook, "--timesteps", "0.8,0.3", "--images", "16");
        Assert.True(extract.Code == 0, extract.Output);
        var set = Assert.Single(await registry.ActivationSets.ListAsync());
        Assert.Equal([$"{hook}@t=0.800", $"{hook}@t=0.300"], set.HookPoints);

        var sae = await Run("diffusion", "sae", "--model", diffusion.Id, "--activations", set.Id, "--hook", hook, "--timesteps", "0.8,0.3",
            "--steps", "20", "--expansion", "2", "--k", "4", "--out", Path.Combine(_home, "saes"));
        Assert.True(sae.Code == 0, sae.Output);
        Assert.Contains("figure diffusion_timestep_sae_explained_variance:", sae.Output);
        var experiment = Assert.Single(await registry.Experiments.ListAsync());
        Assert.Equal(set.IndexSha256, JsonNode.Parse(experiment.ConfigJson)!["options"]!["activations"]!.GetValue<string>());
        Assert.Equal(2, JsonNode.Parse(experiment.ResultsJson)!["levels"]!.AsArray().Count);

        var missing = await Run("diffusion", "sae", "--model", diffusion.Id, "--activations", "actset-none", "--hook", hook);
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("--activations 'actset-none' is neither a registered activation set nor a directory", missing.Output);
    }

    /// <summary>The diffusion studies on a user's diffusers pipeline with the user's prompts: `models add --family
    /// diffusion`, then `diffusion temporal --prompt-file` (the trajectory judged against each final image, with its
    /// pictures), `diffusion sae --prompt-file` and `diffusion extract --prompt-file` by the pipeline's name; a pipeline
    /// directory given as --model is the model `models add` registered.</summary>
    [Fact]
    public async Task DiffusionStudiesRunOnARegisteredPipelineWithAUsersPrompts()
    {
        var dir = MMInterp.Tests.TinySdPipeline.Write(Path.Combine(_home, "tiny-sd"), latentSide: 8);
        // The pipeline's attribute oracle is trained on first use; the recipe's 1500 steps are minutes under a loaded suite.
        _cli.ExtraEnvironment["MMINTERP_ORACLE_STEPS"] = "60";
        var add = await Run("models", "add", dir, "--family", "diffusion", "--name", "my sd");
        Assert.True(add.Code == 0, add.Output);
        var prompts = Path.Combine(_home, "prompts.txt");
        File.WriteAllText(prompts, "# my prompts\na red cat\n\nphoto of a blue dog, red\n");
        var out1 = Path.Combine(_home, "temporal");
        var temporal = await Run("diffusion", "temporal", "--model", "my sd", "--prompt-file", prompts, "--seeds", "1", "--train-images", "16",
            "--test-images", "16", "--timesteps", "1,0.5,0", "--out", out1);
        Assert.True(temporal.Code == 0, temporal.Output);
        Assert.Contains("settled_t_colour", temporal.Output);
        Assert.True(new FileInfo(Path.Combine(out1, "temporal_trajectory_images.png")).Length > 1000, temporal.Output);

        await using var registry = RegistryStore.Create(_cli.ConnectionString);
        var model = Assert.Single(await registry.Models.ListAsync());
        var experiment = Assert.Single(await registry.Experiments.ListAsync());
        var options = JsonNode.Parse(experiment.ConfigJson)!["options"]!;
        Assert.Equal(model.Id, JsonNode.Parse(experiment.ConfigJson)!["model"]!.GetValue<string>());
        Assert.Equal(["a red cat", "photo of a blue dog, red"], options["prompts"]!.AsArray().Select(p => p!.GetValue<string>()));
        var results = JsonNode.Parse(experiment.ResultsJson)!;
        // Each step's reading against the final image: it agrees with itself at the last step, so every attribute settles.
        Assert.InRange(results["figures"]!["settled_t_colour"]!.GetValue<double>(), 0, 1);
        var trajectory = results["temporal"]!["Trajectory"]!;
        Assert.Equal("final image", trajectory["Reference"]!.GetValue<string>());

        var sae = await Run("diffusion", "sae", "--model", dir, "--prompt-file", prompts, "--hook", "unet.mid.hook_out", "--timesteps", "0.8,0.3",
            "--steps", "20", "--expansion", "2", "--k", "4", "--train-images", "16", "--test-images", "8", "--out", Path.Combine(_home, "saes"));
        Assert.True(sae.Code == 0, sae.Output);
        Assert.Contains("figure diffusion_timestep_sae_explained_variance:", sae.Output);
        Assert.Single(await registry.Models.ListAsync()); // the directory is the model registered from it

        // Timestep extraction reads the prompts as the rows' text (captioned keys).
        var extract = await Run("diffusion", "extract", "--model", "my sd", "--hooks", "unet.mid.hook_out", "--timesteps", "0.5", "--images", "8",
            "--prompt-file", prompts);
        Assert.True(extract.Code == 0, extract.Output);
        var set = Assert.Single(await registry.ActivationSets.ListAsync());
        Assert.Equal(["unet.mid.hook_out@t=0.500@c=caption"], set.HookPoints);

        // The lens decodes each U-Net level at each step on the same prompts, judged against the final image.
        var lensDir = Path.Combine(_home, "lens");
        var lens = await Run("diffusion", "lens", "--model", "my sd", "--prompt-file", prompts, "--pictured", "1", "--out", lensDir);
        Assert.True(lens.Code == 0, lens.Output);
        Assert.True(new FileInfo(Path.Combine(lensDir, "lens_0.png")).Length > 1000, lens.Output);
        var lensResults = JsonNode.Parse((await registry.Experiments.ListAsync()).Single(e => e.ResultsJson.Contains("translator_r2", StringComparison.Ordinal)).ResultsJson)!["lens"]!;
        Assert.Equal("final image", lensResults["Reference"]!.GetValue<string>());
        Assert.Equal(["a red cat", "photo of a blue dog, red"], lensResults["Prompts"]!.AsArray().Select(p => p!.GetValue<string>()));

        var missing = await Run("diffusion", "temporal", "--model", "my sd", "--prompt-file", Path.Combine(_home, "none.txt"));
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("--prompt-file: no file", missing.Output);
    }

    internal static string WriteClip(string dir)
    {
        torch.manual_seed(21);
        var zoo = new ClipZooConfig { VisionWidth = 32, VisionLayers = 2, TextWidth = 32, TextLayers = 1, Heads = 2, ProjectionDim = 16 };
        var tokenizer = ShapesVocabulary.Build();
        using var model = new ClipModel(zoo.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        ClipCheckpoint.Save(model, tokenizer, dir);
        return dir;
    }

    Task<(int Code, string Output)> Run(params string[] args) => _cli.RunAsync(TimeSpan.FromMinutes(10), args);
}
