using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>Images a text-to-image directory draws for prompts, as planar RGB [3 * S * S] in [0, 1].</summary>
public sealed record SampledImages(string Kind, int Size, int Steps, double Guidance, long Seed, IReadOnlyList<string> Prompts, IReadOnlyList<float[]> Images);

/// <summary>
/// Samples any text-to-image directory the platform reads, with the user's prompts: a diffusers Stable Diffusion or
/// SDXL pipeline (model_index.json; its scheduler, diffusers' defaults of 50 steps and guidance 7.5), the zoo U-Net or
/// the zoo DiT (their recipe's sampler). Steps and guidance left null keep those defaults.
/// </summary>
public static class DirectorySampler
{
    public static SampledImages Sample(string directory, IReadOnlyList<string> prompts, int? steps, double? guidance, long seed,
        Action<double, string>? progress = null, CancellationToken ct = default)
    {
        if (prompts.Count == 0) throw new ArgumentException("at least one prompt is needed", nameof(prompts));
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"model directory not found: {directory}");
        if (StableDiffusionDirectory.IsPipelineDirectory(directory))
        {
            using var pipeline = StableDiffusionDirectory.Load(directory);
            var request = new SdRequest { Prompts = prompts, Seed = seed };
            request = request with { Steps = steps ?? request.Steps, GuidanceScale = guidance ?? request.GuidanceScale };
            var generation = pipeline.Generate(request, s => progress?.Invoke((double)s.Step / s.Steps, $"step {s.Step}/{s.Steps}"), ct);
            generation.Latents.Dispose();
            var first = generation.Images[0];
            if (first.Width != first.Height) throw new ArgumentException($"the pipeline drew {first.Width}x{first.Height} images; only square ones are laid out");
            return new SampledImages(pipeline.IsXl ? "sdxl pipeline" : "sd pipeline", first.Width, request.Steps, request.GuidanceScale, seed, prompts,
                generation.Images.Select(Planar).ToList());
        }
        if (!ZooDenoiserCheckpoint.IsUNet(directory) && !File.Exists(Path.Combine(directory, DiffusionCheckpoint.ConfigFile)))
            throw new ArgumentException($"'{directory}' is not a text-to-image directory: no {StableDiffusionDirectory.IndexFile} (a diffusers pipeline), "
                + $"no {UNetZooCheckpoint.ZooFile} beside {UNetZooCheckpoint.UNetFolder}/ (the zoo U-Net), no {DiffusionCheckpoint.ConfigFile} (the zoo DiT)");
        using var model = ZooDenoiserCheckpoint.Load(directory);
        var sampler = model.Sampler(seed);
        sampler = (sampler with { Steps = steps ?? sampler.Steps, Guidance = guidance ?? sampler.Guidance }).Validate();
        progress?.Invoke(0, $"sampling {prompts.Count} prompts, {sampler.Steps} steps");
        using var images = DiffusionEvaluator.Generate(model, prompts, sampler);
        var per = 3 * model.ImageSize * model.ImageSize;
        var pixels = images.contiguous().data<float>().ToArray();
        var kind = model is Models.ZooUNet.UNetZooModel ? "zoo U-Net" : "zoo DiT";
        return new SampledImages(kind, model.ImageSize, sampler.Steps, sampler.Guidance, seed, prompts,
            Enumerable.Range(0, prompts.Count).Select(i => pixels.AsSpan(i * per, per).ToArray()).ToList());
    }

    static float[] Planar(Images.RgbImage image)
    {
        var plane = image.Width * image.Height;
        var result = new float[3 * plane];
        for (var i = 0; i < plane; i++)
            for (var c = 0; c < 3; c++) result[c * plane + i] = image.Pixels[3 * i + c] / 255f;
        return result;
    }
}
