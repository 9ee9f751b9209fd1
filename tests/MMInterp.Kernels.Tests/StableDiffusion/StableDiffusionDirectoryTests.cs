using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Tests;
using Xunit;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>A diffusers pipeline directory is checked whole: the parts it names, their configs and weights (plain or
/// fp16 variant), and that they fit each other; each problem is one line naming the folder or file.</summary>
public sealed class StableDiffusionDirectoryTests
{
    static string Fresh(bool xl = false, bool fp16 = false, string scheduler = "DDIMScheduler") =>
        TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sd-dir-").FullName, xl, fp16, scheduler: scheduler);

    [Fact]
    public void AStableDiffusionDirectoryIsReadWithTheFilesALoadNeeds()
    {
        var dir = Fresh(scheduler: "PNDMScheduler");
        var s = StableDiffusionDirectory.Inspect(dir);
        Assert.Equal("stable-diffusion", s.Architecture);
        Assert.Equal(["safety_checker", "feature_extractor"], s.Ignored);
        Assert.Null(s.VaeVariant);
        // SD v1 ships PNDM; it is read as DDIM (diffusers' from_config) unless the caller picks Euler.
        Assert.Equal("PNDMScheduler", s.SchedulerClass);
        Assert.Equal(SchedulerConfig.Ddim, s.Scheduler.ClassName);
        Assert.Equal(1, s.Scheduler.StepsOffset);
        Assert.Equal(SchedulerConfig.Euler, StableDiffusionDirectory.ReadScheduler(Path.Combine(dir, "scheduler", "scheduler_config.json"), SchedulerConfig.Euler).Config.ClassName);
        Assert.Equal(new[]
        {
            "model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json", "text_encoder/model.safetensors",
            "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "vae/config.json",
            "vae/diffusion_pytorch_model.safetensors", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
        }, s.Files);
        Assert.All(s.Files, f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
        Assert.Equal(16, s.Unet.CrossAttentionDims.Single());
    }

    [Fact]
    public void AnSdxlDirectoryWithFp16VariantsIsRead()
    {
        var dir = Fresh(xl: true, fp16: true, scheduler: "EulerDiscreteScheduler");
        var s = StableDiffusionDirectory.Inspect(dir);
        Assert.Equal("stable-diffusion-xl", s.Architecture);
        Assert.True(s.ForceZerosForEmptyPrompt);
        Assert.Equal("fp16", s.VaeVariant);
        Assert.Equal("fp16", s.UnetVariant);
        Assert.Equal(2, s.TextEncoders.Count);
        Assert.Equal(TinySdPipeline.Projection, s.TextEncoders[1].Config.ProjectionDim);
        Assert.Contains("text_encoder_2/model.fp16.safetensors", s.Files);
        Assert.Contains("tokenizer_2/vocab.json", s.Files);
        Assert.Contains("unet/diffusion_pytorch_model.fp16.safetensors", s.Files);
        Assert.All(s.Files, f => Assert.True(File.Exists(Path.Combine(dir, f)), f));
        Assert.Equal(SchedulerConfig.Euler, s.Scheduler.ClassName);
        // tokenizer_2 pads with "!", tokenizer with <|endoftext|>.
        Assert.Equal(s.Tokenizers[1].Bpe.Vocab["!"], s.Tokenizers[1].PadId);
        Assert.Equal(s.Tokenizers[0].Bpe.EndId, s.Tokenizers[0].PadId);
    }

    [Fact]
    public void AShardedFp16VariantUnderDiffusersIndexNameIsFoundAndLoads()
    {
        var dir = Fresh();
        var vae = Path.Combine(dir, "vae");
        using (var plain = AutoencoderKlCheckpoint.Load(vae).Model) AutoencoderKlCheckpoint.Save(plain, vae, fp16: true);
        File.Delete(Path.Combine(vae, "diffusion_pytorch_model.safetensors"));
        // diffusers' names for a sharded variant: STEM-0000k-of-0000n.fp16.safetensors and STEM.safetensors.index.fp16.json.
        var shard = "diffusion_pytorch_model-00001-of-00001.fp16.safetensors";
        File.Move(Path.Combine(vae, "diffusion_pytorch_model.fp16.safetensors"), Path.Combine(vae, shard));
        var keys = MMInterp.Kernels.IO.SafeTensors.ReadHeader(Path.Combine(vae, shard)).Entries.Keys;
        File.WriteAllText(Path.Combine(vae, "diffusion_pytorch_model.safetensors.index.fp16.json"),
            new JsonObject { ["weight_map"] = new JsonObject(keys.Select(k => KeyValuePair.Create(k, (JsonNode?)shard))) }.ToJsonString());

        var s = StableDiffusionDirectory.Inspect(dir);
        Assert.Equal("fp16", s.VaeVariant);
        Assert.Contains("vae/diffusion_pytorch_model.safetensors.index.fp16.json", s.Files);
        Assert.Contains($"vae/{shard}", s.Files);
        using var loaded = AutoencoderKlCheckpoint.Load(vae, s.VaeVariant).Model;
        Assert.Equal(TinySdPipeline.Vae.LatentChannels, loaded.Config.LatentChannels);
    }

    public static TheoryData<bool, string, string> Breakages => new()
    {
        { false, "no-vae-config", "vae/config.json" },
        { false, "no-unet", "unet: folder missing" },
        { false, "index-class", "StableDiffusionImg2ImgPipeline\" is not supported" },
        { false, "index-no-vae", "component 'vae' is missing" },
        { false, "index-not-json", "model_index.json" },
        { false, "unet-channels", "in_channels 3 but vae/config.json's latent_channels is 4" },
        { false, "unet-cross", "cross_attention_dim 20 but the text encoder states are 16 wide" },
        { false, "no-te-weights", "text_encoder: no model.safetensors" },
        { false, "scheduler-karras", "use_karras_sigmas is true" },
        { true, "xl-projection", "projection_class_embeddings_input_dim 99 but 6 time ids" },
        { true, "xl-te2-class", "component 'text_encoder_2' is CLIPTextModel; expected CLIPTextModelWithProjection" },
        { true, "xl-lengths", "tokenizer_2: model_max_length 6 differs from tokenizer/'s 8" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void ABrokenDirectoryIsRefusedInOneLineNamingThePart(bool xl, string breakage, string expected)
    {
        var dir = Fresh(xl);
        void Edit(string file, Action<JsonObject> change)
        {
            var path = Path.Combine(dir, file);
            var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            change(o);
            File.WriteAllText(path, o.ToJsonString());
        }
        switch (breakage)
        {
            case "no-vae-config": File.Delete(Path.Combine(dir, "vae", "config.json")); break;
            case "no-unet": Directory.Delete(Path.Combine(dir, "unet"), true); break;
            case "index-class": Edit("model_index.json", o => o["_class_name"] = "StableDiffusionImg2ImgPipeline"); break;
            case "index-no-vae": Edit("model_index.json", o => o.Remove("vae")); break;
            case "index-not-json": File.WriteAllText(Path.Combine(dir, "model_index.json"), "{ not json"); break;
            case "unet-channels": Edit("unet/config.json", o => o["in_channels"] = 3); break;
            case "unet-cross": Edit("unet/config.json", o => o["cross_attention_dim"] = 20); break;
            case "no-te-weights": File.Delete(Path.Combine(dir, "text_encoder", "model.safetensors")); break;
            case "scheduler-karras": Edit("scheduler/scheduler_config.json", o => o["use_karras_sigmas"] = true); break;
            case "xl-projection": Edit("unet/config.json", o => o["projection_class_embeddings_input_dim"] = 99); break;
            case "xl-lengths": Edit("tokenizer_2/tokenizer_config.json", o => o["model_max_length"] = 6); break;
            case "xl-te2-class": Edit("model_index.json", o => o["text_encoder_2"] = new JsonArray("transformers", "CLIPTextModel")); break;
        }
        var e = Assert.ThrowsAny<Exception>(() => StableDiffusionDirectory.Inspect(dir));
        Assert.Contains(expected, e.Message.Replace(Path.DirectorySeparatorChar, '/'));
        Assert.DoesNotContain('\n', e.Message);
    }
}
