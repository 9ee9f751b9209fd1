using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.PipelineDenoiser;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Tests;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>A diffusers pipeline as the diffusion analyses read it (<see cref="SdPipelineDenoiser"/>): in latent space on
/// its own schedule, sampling as the pipeline does, and the temporal analysis, timestep SAEs, head roles and ablations
/// and timestep extraction run on it with a user's prompts.</summary>
public sealed class SdPipelineDenoiserTests
{
    static readonly string[] UserPrompts = ["a red cat", "a blue dog", "photo of a red dog"];

    static (SdPipelineDenoiser Model, string Dir) Load(string predictionType = "epsilon")
    {
        var dir = TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sd-analysis-").FullName, latentSide: 8, predictionType: predictionType);
        var oracles = new AttributeOracleCache(Path.Combine(dir, "oracles"), steps: 60);
        return (Assert.IsType<SdPipelineDenoiser>(ZooDenoiserCheckpoint.Load(dir, oracles: oracles)), dir);
    }

    [Fact]
    public void ItNoisesTheVaesLatentsOnThePipelinesOwnSchedule()
    {
        var (model, dir) = Load();
        using var _ = model;
        Assert.True(ZooDenoiserCheckpoint.IsDenoiserDirectory(dir));
        Assert.Equal(16, model.ImageSize); // sample_size 8 x the VAE's factor 2
        Assert.Equal(2, model.PixelPatch);
        using var scope = NewDisposeScope();
        using var batch = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(16)).Batch(5, 0, 3, CPU);
        var x0 = model.CleanInput(batch.Images);
        Assert.Equal([3L, 4, 8, 8], x0.shape);
        // The posterior mean times scaling_factor (0.5 in the tiny VAE): what diffusers' pipelines noise.
        using var pipeline = StableDiffusionDirectory.Load(dir);
        var mean = pipeline.Vae.Encode(batch.Images.mul(2).sub(1)).Mean;
        Assert.True(x0.allclose(mean.mul(0.5), rtol: 1e-4, atol: 1e-5), "clean input is not the VAE's scaled posterior mean");
        // Level 0.5 is timestep 500 of scaled_linear 0.00085..0.012, not the zoo's linear schedule.
        var abar = SchedulerBetas.AlphasCumprod(pipeline.Scheduler)[500];
        var eps = randn_like(x0);
        var noised = model.Noise(x0, full([3], 0.5), eps);
        Assert.True(noised.allclose(x0.mul(Math.Sqrt(abar)).add(eps.mul(Math.Sqrt(1 - abar))), rtol: 1e-4, atol: 1e-5), "not the pipeline's schedule");
        Assert.NotEqual(SchedulerBetas.AlphasCumprod(Models.ZooUNet.UNetZooConfig.Scheduler)[500], abar, 3);
    }

    [Fact]
    public void ItSamplesWhatThePipelineDrawsAndShowsEachStepsCleanEstimate()
    {
        var (model, dir) = Load();
        using var _ = model;
        using var pipeline = StableDiffusionDirectory.Load(dir);
        var reference = pipeline.Generate(new SdRequest { Prompts = UserPrompts, Steps = 4, GuidanceScale = 3, Seed = 11 });
        reference.Latents.Dispose();
        using var scope = NewDisposeScope();
        var text = model.Text.Encode(UserPrompts);
        var nullText = model.Text.Encode(["", "", ""]);
        var levels = new List<double>();
        var images = model.Sample(text, nullText, new SamplerOptions { Steps = 4, Guidance = 3, Seed = 11 }, (s, clean) =>
        {
            levels.Add(s);
            Assert.Equal([3L, 3, 16, 16], clean.shape);
        });
        // The pipeline's own road (its prompts, loop and 8-bit postprocess) and ours give the same pictures.
        var ours = images.mul(255).round().to_type(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
        var theirs = reference.Images.SelectMany(i => i.Pixels).ToArray();
        Assert.Equal(theirs.Length, ours.Length);
        Assert.All(ours.Zip(theirs), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1));
        // DDIM 'leading' with steps_offset 1 at 4 steps: timesteps 751, 501, 251, 1, as levels t / 999.
        Assert.Equal(new[] { 751, 501, 251, 1 }.Select(t => t / 999.0), levels, new ToleranceComparer(1e-9));
    }

    [Fact]
    public void TheTemporalAnalysisRunsWithAUsersPromptsAgainstTheFinalImage()
    {
        var (model, _) = Load();
        using var __ = model;
        var result = TemporalAnalysis.Run(model, new TemporalConfig
        {
            Timesteps = [1.0, 0.0], Attributes = [ObjectAttribute.Colour, ObjectAttribute.Position], TrainImages = 32, TestImages = 16, ProbeSteps = 20,
            Prompts = UserPrompts,
        });
        Assert.Equal(model.BlockHooks, result.Hooks);
        Assert.Equal(2, result.Curves[0].PixelControl.Count);
        var trajectory = result.Trajectory!;
        Assert.Equal(TrajectoryCurve.FinalImage, trajectory.Reference);
        Assert.Equal(UserPrompts, trajectory.Prompts);
        Assert.Equal(model.Sampler(0).Steps, trajectory.T.Count);
        // Against itself, the last step agrees on every prompt.
        Assert.All(trajectory.Accuracy.Values, a => Assert.Equal(1.0, a[^1]));
        var files = DiffusionFigures.WriteTemporal(Directory.CreateTempSubdirectory("mminterp-sd-temporal-").FullName, result);
        Assert.Contains(files, f => f.EndsWith("temporal_trajectory_images.png", StringComparison.Ordinal));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 1000, f));
    }

    [Fact]
    public void SettledIsTheNoisiestStepFromWhichTheReadingHolds()
    {
        double[] steps = [0.9, 0.7, 0.5, 0.3, 0.1];
        Assert.Equal(0.5, TemporalAnalysis.Settled(steps, [1.0, 0.2, 0.95, 0.9, 1.0]));
        Assert.Equal(0.9, TemporalAnalysis.Settled(steps, [1.0, 1.0, 1.0, 1.0, 1.0]));
        Assert.True(double.IsNaN(TemporalAnalysis.Settled(steps, [1.0, 1.0, 1.0, 1.0, 0.5])));
    }

    [Fact]
    public void TimestepSaesTrainOnAUsersPromptsSteerAndExtractionReadsTimestepKeys()
    {
        var (model, _) = Load();
        using var __ = model;
        var dir = Directory.CreateTempSubdirectory("mminterp-sd-saes-").FullName;
        var config = new TimestepSaeConfig
        {
            Hook = "unet.mid.hook_out", Timesteps = [0.8, 0.2], TrainImages = 16, TestImages = 8, Steps = 30, BatchSize = 64, K = 4, Prompts = UserPrompts,
        }.Validate(model);
        var trained = TimestepSaes.Train(model, config, dir);
        Assert.Equal(2, trained.Levels.Count);
        Assert.All(trained.Levels, l => Assert.True(double.IsFinite(l.ExplainedVariance) && l.L0 > 0, $"{l}"));
        using var set = TimestepSaeSet.Load(dir);
        Assert.Equal("unet.mid.hook_out", set.Hook);

        // Colour steering through the pipeline's own sampler: each SAE's colour feature added at the mid block's feature
        // map, per channel, on every step (a random tiny pipeline draws no colours, so this checks the road, not a rate).
        var steer = DiffusionSteering.Run(model, set, new DiffusionSteeringConfig
        {
            PromptsPerColour = 1, SelectionImages = 48, Windows = [SteeringWindow.All], Strength = 8, SampleSteps = 3, Pictured = 1,
        });
        Assert.Equal(3, steer.Headline.StepsSteered);
        Assert.Equal(8, steer.Pictures.Count);
        Assert.Equal(16 * 16 * 3, steer.Pictures[0].Steered.Length);
        Assert.Contains(steer.Pictures, p => p.Steered.Zip(p.Unsteered).Any(x => Math.Abs(x.First - x.Second) > 1e-3));

        using var extraction = new DiffusionActivationModel(model);
        var rows = extraction.Extract(3, 0, 4, ["unet.mid.hook_out@t=0.5@c=caption", "unet.down.0.hook_out@t=0.9"]);
        // The mid block is 4x4 latents of 16 channels; down level 0 is 4x4 (after its downsampler) of 8.
        Assert.Equal(4 * 16, rows["unet.mid.hook_out@t=0.5@c=caption"].shape[0]);
        Assert.All(rows.Values, r => Assert.True(r.isfinite().all().item<bool>()));
    }

    [Fact]
    public void HeadRolesAndAblationsRunOnThePipelinesUNet()
    {
        var (model, _) = Load("v_prediction");
        using var __ = model;
        Assert.NotEmpty(model.Blocks);
        Assert.All(model.AttentionSites, s => Assert.Equal(2, s.Heads));
        var roles = HeadRoles.Classify(model, new HeadRoleConfig { TrainImages = 32, TestImages = 16, ProbeSteps = 20 });
        Assert.Equal(model.AttentionSites.Sum(s => s.Heads), roles.Count);
        var standard = DiffusionAblation.Standard(model, heads: false);
        var result = DiffusionAblation.Run(model, new AblationConfig { Images = 8, SampleSteps = 2, LossImages = 16 }, [standard[0]]);
        Assert.True(double.IsFinite(result.Baseline.Loss) && result.Baseline.Loss > 0, $"{result.Baseline.Loss}");
        Assert.NotEqual(result.Baseline.Loss, result.Effects[0].Loss);
    }

    [Fact]
    public void AnSdxlPipelineAndBadPromptsAreRefusedInOneLine()
    {
        var xl = TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sdxl-analysis-").FullName, xl: true, latentSide: 8);
        var e = Assert.Throws<NotSupportedException>(() => ZooDenoiserCheckpoint.Load(xl));
        Assert.Contains("SDXL", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("prompt 2", Assert.Throws<ArgumentException>(() => new TemporalConfig { Prompts = ["a cat", " "] }.Validate()).Message);
        Assert.Contains("1 to 256", Assert.Throws<ArgumentException>(() => new TemporalConfig { Prompts = [] }.Validate()).Message);
        var small = TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sd-small-").FullName);
        Assert.Contains("8x8", Assert.Throws<NotSupportedException>(() => ZooDenoiserCheckpoint.Load(small)).Message);
    }

    [Fact]
    public void TheOracleIsTrainedOnceAndThenRead()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-oracles-").FullName;
        var cache = new AttributeOracleCache(dir, steps: 20);
        using var first = cache.Get(16);
        Assert.Single(Directory.GetFiles(dir, "*.safetensors"));
        using var again = cache.Get(16);
        foreach (var (a, b) in first.parameters().Zip(again.parameters())) Assert.True(a.eq(b).all().item<bool>(), "the cached oracle differs from the trained one");
        // Larger images are read at the oracle's side.
        using var big = rand(2, 3, 64, 64);
        Assert.Equal([2L], first.Predict(big)[ObjectAttribute.Colour].shape);
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
