using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Silo.Work;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Tests;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>
/// `models add DIR --family diffusion` for a diffusers Stable Diffusion / SDXL pipeline directory (the
/// ForeignModelRegistration the command calls), with real Postgres and a silo: registered as family diffusion with
/// architecture stable-diffusion(-xl) and the component configs in the spec; the stored folder artefact holds the
/// files a load reads (not the safety checker) and restores to a directory that inspects the same; the same files under
/// another name return the model already registered. A broken directory is refused in one line with nothing stored.
/// The unet/ folder holds a real tiny UNet2DConditionModel (TinySdPipeline).
/// </summary>
public sealed class ForeignDiffusionTests(ForeignClipCluster fx) : IClassFixture<ForeignClipCluster>
{
    [Fact]
    public async Task AStableDiffusionPipelineRegistersAsADiffusionModelWithItsComponents()
    {
        var dir = TinySdPipeline.Write(Path.Combine(fx.Home, "tiny-sd"), latentSide: 8);
        File.WriteAllText(Path.Combine(dir, "README.md"), "not part of the pipeline");
        var registered = await ForeignModelRegistration.RegisterDiffusionAsync(fx.Store, fx.Registry, dir, "tiny sd");
        Assert.StartsWith("sd-hf-", registered.Model.Id);
        Assert.Equal(ModelFamily.Diffusion, registered.Model.Family);
        var spec = JsonNode.Parse(registered.Model.SpecJson)!;
        Assert.Equal("stable-diffusion", spec["architecture"]!.GetValue<string>());
        Assert.Equal("StableDiffusionPipeline", spec["pipeline_class"]!.GetValue<string>());
        Assert.Equal(TinySdPipeline.Width1, spec["config"]!["unet"]!["cross_attention_dim"]![0]!.GetValue<int>());
        Assert.Equal(0.5, spec["config"]!["vae"]!["scaling_factor"]!.GetValue<double>());
        Assert.Equal("DDIMScheduler", spec["config"]!["scheduler"]!["class"]!.GetValue<string>());

        var manifest = await fx.Store.ReadManifestAsync(registered.Model.CheckpointSha256!);
        var paths = manifest.Entries.Select(e => e.Path).ToHashSet();
        Assert.Equal(registered.Summary.Files.ToHashSet(), paths);
        Assert.Contains("unet/diffusion_pytorch_model.safetensors", paths);
        Assert.Contains("tokenizer/merges.txt", paths);
        Assert.DoesNotContain("README.md", paths);

        // The stored folder is a pipeline directory again.
        var restored = Path.Combine(fx.Home, "restored-sd");
        await fx.Store.RestoreDirectoryAsync(registered.Model.CheckpointSha256!, restored);
        var again = MMInterp.Kernels.Checkpoints.StableDiffusionDirectory.Inspect(restored);
        Assert.Equal(registered.Summary.Files, again.Files);

        var twice = await ForeignModelRegistration.RegisterDiffusionAsync(fx.Store, fx.Registry, dir, "tiny sd other name");
        Assert.True(twice.AlreadyRegistered);
        Assert.Equal(registered.Model.Id, twice.Model.Id);

        // The model grain serves it in latent space (SdPipelineDenoiser): its U-Net's hooks as timestep keys, and an
        // extraction job's rows equal a direct run on the directory.
        var info = await fx.Cluster.Client.GetGrain<IModelGrain>(registered.Model.Id).Describe();
        Assert.Contains(TimestepKey.Template("unet.mid.hook_out"), info.HookPoints);
        const string key = "unet.mid.hook_out@t=0.500@c=caption";
        // The job's rows of the key, as stored.
        async Task<torch.Tensor> OnCluster(string jobId, IReadOnlyList<string>? prompts)
        {
            var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>(jobId);
            await job.Start(new ExtractionJobSpec(registered.Model.Id, [key], DatasetSpec.Parse("shapes:test:6"), Shards: 2, Prompts: prompts));
            var progress = await JobWait.UntilFinished(job.Status, minutes: 4);
            Assert.True(progress.Phase == JobPhase.Succeeded, progress.Error);
            var set = (await fx.Registry.ActivationSets.GetAsync(progress.ActivationSetId!))!;
            var extracted = Path.Combine(fx.Home, jobId);
            await fx.Store.RestoreDirectoryAsync(set.IndexSha256, extracted);
            var reader = new ActivationSetReader(Path.Combine(extracted, key));
            return torch.cat(Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList(), 0);
        }
        using var stored = await OnCluster("sd-ext", null);
        using var model = new DiffusionActivationModel(ZooDenoiserCheckpoint.Load(dir));
        // Each shard seeds its images' noise from its own start, so the direct run goes shard by shard too.
        const long seed = ShapesSplits.Test;
        using var direct = torch.cat([model.Extract(seed, 0, 3, [key])[key], model.Extract(seed, 3, 3, [key])[key]], 0);
        Assert.Equal(6L * 16, stored.shape[0]); // 6 images x the mid block's 4x4 latents
        Assert.True(direct.allclose(stored, rtol: 1e-4, atol: 1e-5), "rows extracted on the cluster differ from a direct run");

        // A user's prompts as the rows' text (`diffusion extract --prompt-file`): the same on the cluster as directly, and
        // not what the images' own captions give.
        string[] prompts = ["a red cat", "photo of a blue dog"];
        using var storedPrompted = await OnCluster("sd-ext-prompts", prompts);
        using var directPrompted = torch.cat([model.Extract(seed, 0, 3, [key], TokenSelection.All, prompts)[key], model.Extract(seed, 3, 3, [key], TokenSelection.All, prompts)[key]], 0);
        Assert.True(directPrompted.allclose(storedPrompted, rtol: 1e-4, atol: 1e-5), "prompted rows on the cluster differ from a direct run");
        Assert.False(storedPrompted.allclose(stored, rtol: 1e-3, atol: 1e-4), "the prompts did not reach the U-Net");
        Assert.Contains("photo of a blue dog", (await fx.Registry.Runs.GetAsync("sd-ext-prompts"))!.ConfigJson);
    }

    [Fact]
    public async Task AnSdxlPipelineWithFp16WeightsRegistersAsStableDiffusionXl()
    {
        var dir = TinySdPipeline.Write(Path.Combine(fx.Home, "tiny-sdxl"), xl: true, fp16: true, scheduler: "EulerDiscreteScheduler");
        var registered = await ForeignModelRegistration.RegisterDiffusionAsync(fx.Store, fx.Registry, dir, "tiny sdxl");
        Assert.StartsWith("sdxl-hf-", registered.Model.Id);
        var spec = JsonNode.Parse(registered.Model.SpecJson)!;
        Assert.Equal("stable-diffusion-xl", spec["architecture"]!.GetValue<string>());
        Assert.Equal("fp16", spec["config"]!["unet"]!["variant"]!.GetValue<string>());
        Assert.Equal(TinySdPipeline.Projection, spec["config"]!["text_encoders"]![1]!["projection_dim"]!.GetValue<int>());
        var manifest = await fx.Store.ReadManifestAsync(registered.Model.CheckpointSha256!);
        Assert.Contains(manifest.Entries, x => x.Path == "text_encoder_2/model.fp16.safetensors");
        Assert.Contains(manifest.Entries, x => x.Path == "tokenizer_2/vocab.json");
    }

    [Theory]
    [InlineData("no-vae-config", "vae/config.json")]
    [InlineData("bad-index", "model_index.json: _class_name \"KandinskyPipeline\" is not supported")]
    public async Task ABrokenPipelineIsRefusedInOneLineAndNothingIsStored(string breakage, string expected)
    {
        var dir = TinySdPipeline.Write(Path.Combine(fx.Home, $"broken-{breakage}"));
        if (breakage == "no-vae-config") File.Delete(Path.Combine(dir, "vae", "config.json"));
        else File.WriteAllText(Path.Combine(dir, "model_index.json"), File.ReadAllText(Path.Combine(dir, "model_index.json")).Replace("\"StableDiffusionPipeline\"", "\"KandinskyPipeline\""));
        var files = fx.StoredFiles();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ForeignModelRegistration.RegisterDiffusionAsync(fx.Store, fx.Registry, dir, $"broken {breakage}"));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(files, fx.StoredFiles());
        Assert.Null(await fx.Registry.Models.GetByNameAsync($"broken {breakage}"));
    }
}
