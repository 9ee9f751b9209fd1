using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Tests;

/// <summary>Writes tiny random diffusers pipeline directories (SD and SDXL layouts) for the pipeline, directory and
/// registration tests, with a real tiny UNet2DConditionModel in unet/ (tests that check the sampling arithmetic pass
/// their own closed-form <see cref="ISdDenoiser"/>).</summary>
public static class TinySdPipeline
{
    public static readonly string[] Words = ["a", "red", "cat", "blue", "dog", "photo", "of", "!"];
    public const int MaxLength = 8, Width1 = 16, Width2 = 8, Projection = 6, TimeEmbed = 2, LatentSide = 4;

    public static ClipTextModelConfig Encoder1(int vocab) => new(new ClipTextConfig
    {
        VocabSize = vocab, MaxPositions = MaxLength, EosTokenId = 2, BosTokenId = vocab - 2, PadTokenId = vocab - 1,
        Tower = new ClipTowerConfig { HiddenSize = Width1, IntermediateSize = 32, NumLayers = 2, NumHeads = 2 },
    }, null);

    public static ClipTextModelConfig Encoder2(int vocab) => new(new ClipTextConfig
    {
        VocabSize = vocab, MaxPositions = MaxLength, EosTokenId = 2, BosTokenId = vocab - 2, PadTokenId = 0,
        Tower = new ClipTowerConfig { HiddenSize = Width2, IntermediateSize = 16, NumLayers = 3, NumHeads = 2, HiddenAct = "gelu" },
    }, Projection);

    public static AutoencoderKlConfig Vae => new()
    {
        BlockOutChannels = [8, 8], DownBlockTypes = [AutoencoderKlConfig.DownBlock, AutoencoderKlConfig.DownBlock],
        UpBlockTypes = [AutoencoderKlConfig.UpBlock, AutoencoderKlConfig.UpBlock], NormNumGroups = 4, LatentChannels = 4,
        LayersPerBlock = 1, ScalingFactor = 0.5, SampleSize = 8,
    };

    /// <summary>Two levels of 8 and 16 channels over 4x4 latents, cross-attention to the (concatenated) text states;
    /// SDXL's text_time addition with the second encoder's projection.</summary>
    public static UNetConfig Unet(bool xl, int latentSide = LatentSide) => new()
    {
        BlockOutChannels = [8, 16], NormNumGroups = 4, HeadCounts = [2, 2], SampleSize = latentSide,
        CrossAttentionDim = xl ? Width1 + Width2 : Width1, UseLinearProjection = xl,
        AdditionEmbedType = xl ? "text_time" : null, AdditionTimeEmbedDim = xl ? TimeEmbed : 0,
        ProjectionClassEmbeddingsInputDim = xl ? 6 * TimeEmbed + Projection : 0,
    };

    /// <summary>Writes the pipeline under <paramref name="dir"/> and returns it.</summary>
    /// <param name="scheduler">the scheduler_config.json's _class_name</param>
    /// <param name="latentSide">the U-Net's sample_size (images are twice it; the ShapesWorld analyses need 16 pixels)</param>
    /// <param name="predictionType">the scheduler's prediction_type</param>
    public static string Write(string dir, bool xl = false, bool fp16 = false, long seed = 1, string scheduler = "DDIMScheduler",
        int latentSide = LatentSide, string predictionType = "epsilon")
    {
        Directory.CreateDirectory(dir);
        // Under the process-wide build lock: another test building a model at the same time would share torch's generator.
        return TorchRuntime.Seeded(seed, () => WriteSeeded(dir, xl, fp16, scheduler, latentSide, predictionType));
    }

    static string WriteSeeded(string dir, bool xl, bool fp16, string scheduler, int latentSide, string predictionType)
    {
        var bpe = ClipBpeTokenizer.BuildForWords(Words);
        new ClipPromptTokenizer(bpe, MaxLength, bpe.EndId).Save(Path.Combine(dir, "tokenizer"));
        using (var te = new ClipTextModel(Encoder1(bpe.VocabSize))) { Perturb(te); ClipTextCheckpoint.Save(te, Path.Combine(dir, "text_encoder"), fp16); }
        if (xl)
        {
            new ClipPromptTokenizer(bpe, MaxLength, bpe.Vocab["!"]).Save(Path.Combine(dir, "tokenizer_2"));
            using var te2 = new ClipTextModel(Encoder2(bpe.VocabSize));
            Perturb(te2);
            ClipTextCheckpoint.Save(te2, Path.Combine(dir, "text_encoder_2"), fp16);
        }
        using (var vae = new AutoencoderKl(Vae)) { Perturb(vae); AutoencoderKlCheckpoint.Save(vae, Path.Combine(dir, "vae"), fp16); }

        using (var unet = new UNet2DConditionModel(Unet(xl, latentSide)))
        {
            Perturb(unet);
            UNetCheckpoint.Save(unet, Path.Combine(dir, "unet"), fp16 ? "fp16" : null, dtype: fp16 ? ScalarType.Float16 : ScalarType.Float32);
        }

        Directory.CreateDirectory(Path.Combine(dir, "scheduler"));
        File.WriteAllText(Path.Combine(dir, "scheduler", "scheduler_config.json"), new JsonObject
        {
            ["_class_name"] = scheduler, ["beta_start"] = 0.00085, ["beta_end"] = 0.012, ["beta_schedule"] = "scaled_linear",
            ["num_train_timesteps"] = 1000, ["steps_offset"] = 1, ["set_alpha_to_one"] = false, ["clip_sample"] = false,
            ["timestep_spacing"] = "leading", ["prediction_type"] = predictionType,
        }.ToJsonString());

        var index = new JsonObject
        {
            ["_class_name"] = xl ? "StableDiffusionXLPipeline" : "StableDiffusionPipeline", ["_diffusers_version"] = "0.30.0",
            ["text_encoder"] = new JsonArray("transformers", "CLIPTextModel"), ["tokenizer"] = new JsonArray("transformers", "CLIPTokenizer"),
            ["unet"] = new JsonArray("diffusers", "UNet2DConditionModel"), ["vae"] = new JsonArray("diffusers", "AutoencoderKL"),
            ["scheduler"] = new JsonArray("diffusers", scheduler),
        };
        if (xl)
        {
            index["text_encoder_2"] = new JsonArray("transformers", "CLIPTextModelWithProjection");
            index["tokenizer_2"] = new JsonArray("transformers", "CLIPTokenizer");
            index["force_zeros_for_empty_prompt"] = true;
        }
        else
        {
            index["safety_checker"] = new JsonArray("stable_diffusion", "StableDiffusionSafetyChecker");
            index["feature_extractor"] = new JsonArray("transformers", "CLIPImageProcessor");
        }
        File.WriteAllText(Path.Combine(dir, "model_index.json"), index.ToJsonString());
        return dir;
    }

    /// <summary>Biases and norms off their initial values, so a part read wrongly shows. Norms are reset first, from
    /// tensors rather than Scalars: TorchSharp's own initialisers fill through implicit Scalars, which a GC on another
    /// thread can free mid-call (infra/scripts/test.sh), and a tiny model saved from such a fill held a NaN (twice in
    /// full-suite runs).</summary>
    static void Perturb(nn.Module m)
    {
        using var _ = no_grad();
        using var scale = 0.2.ToScalar();
        foreach (var (name, p) in m.named_parameters())
        {
            if (name.Contains("norm")) p.copy_(name.EndsWith(".weight") ? ones_like(p) : zeros_like(p));
            if (name.EndsWith(".bias") || name.Contains("norm")) p.add_(randn_like(p).mul_(scale));
            if (!p.isfinite().all().item<bool>()) throw new InvalidOperationException($"tiny pipeline: {name} is not finite after initialisation");
        }
    }
}
