using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Diffusion;

[Collection(TinyDiffusionCollection.Name)]
public class DiffusionSteeringTests(TinyDiffusionFixture tiny, ITestOutputHelper output)
{
    const string HookName = "denoiser.blocks.1.hook_resid_post";

    static TimestepSaeConfig SmallSaes => new()
    {
        Hook = HookName, Timesteps = [0.8, 0.3], TrainImages = 96, TestImages = 32, Steps = 250, BatchSize = 256, Expansion = 4, K = 8,
    };

    [Fact]
    public void PerTimestepSaesReconstructHeldOutActivationsAndTheirColourFeaturesSteerSamplingBeyondARandomDirection()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-tsae-{Guid.NewGuid():N}");
        try
        {
            var result = TimestepSaes.Train(tiny.Bundle, SmallSaes, dir);
            Assert.Equal(2, result.Levels.Count);
            foreach (var level in result.Levels)
            {
                // Zero baselines: predicting the mean row (FVU 1) and predicting nothing (error/|x|^2 = 1).
                Assert.True(level.ExplainedVariance > 0.4, $"t={level.T}: explained variance {level.ExplainedVariance}");
                Assert.True(level.ErrorOverZero < 0.5, $"t={level.T}: error / |x|^2 {level.ErrorOverZero}");
                Assert.InRange(level.L0, 1, SmallSaes.K);
                var meta = SafeTensors.ReadHeader(Path.Combine(dir, level.WeightsFile)).Metadata;
                Assert.Equal(HookName, meta["hook"]);
                // Half the training images captioned: the SAE's key says so, as an extraction key would.
                Assert.Equal(new TimestepKey(HookName, level.T, CaptionConditioning.Half).Name, meta["timestep_key"]);
                Assert.Equal(level.Name, meta["timestep_key"]);
            }
            Assert.NotNull(result.Decodability);

            using var set = TimestepSaeSet.Load(dir);
            Assert.Equal(1, set.Nearest(0.2));
            var e = Assert.Throws<ArgumentException>(() => set.For(0.5));
            Assert.Contains("no SAE for noise level 0.5", e.Message);

            var config = new DiffusionSteeringConfig
            {
                // The tiny model follows its prompts weakly; at strength 4 it measured 0.125 against random 0.04, so push harder.
                PromptsPerColour = 8, SelectionImages = 96, Windows = [SteeringWindow.All], Strength = 12, Pictured = 1,
            };
            var steer = DiffusionSteering.Run(tiny.Bundle, set, config);
            var w = steer.Headline;
            Assert.Equal(TinyDiffusionFixture.Config.SampleSteps, w.StepsSteered);
            Assert.Equal(8, steer.Pictures.Count);
            Assert.All(steer.Features, f => Assert.True(f.Auroc > 0.5, $"{f.ColourName} at t={f.T}: AUROC {f.Auroc}"));
            // The bar: steering towards a colour makes it the generated colour clearly more often than the same-norm random
            // direction and the unsteered rate (both near or below the 1/8 chance of a colour the prompt does not name).
            var seen = $"success: feature {w.Feature.Success} vs random {w.Random.Success}, unsteered {steer.Unsteered.Success}; per colour {string.Join(" ", w.Feature.PerColour)}; "
                + $"target probability: feature {w.Feature.TargetProbability} vs random {w.Random.TargetProbability}, unsteered {steer.Unsteered.TargetProbability}";
            output.WriteLine(seen);
            Assert.True(w.Feature.Success > w.Random.Success && w.Feature.TargetProbability > 1.5 * w.Random.TargetProbability
                && w.Feature.TargetProbability > steer.Unsteered.TargetProbability + 0.02, seen);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void PerTimestepSaesTrainFromAShardedTimestepExtraction()
    {
        var root = Path.Combine(Path.GetTempPath(), $"mminterp-tsae-x-{Guid.NewGuid():N}");
        try
        {
            var extraction = Path.Combine(root, "activations");
            TimestepActivations.Extract(tiny.Bundle, new TimestepExtractionConfig { Hooks = [HookName], Timesteps = [0.8, 0.3], Images = 40, BatchSize = 20 }, extraction, shardRows: 500);
            var levels = TimestepSaes.FitExtraction(extraction, SmallSaes with { Steps = 150 }, Path.Combine(root, "saes"));
            Assert.All(levels, l => Assert.True(l.ExplainedVariance > 0.3, $"t={l.T}: explained variance {l.ExplainedVariance}"));
            using var set = TimestepSaeSet.Load(Path.Combine(root, "saes"));
            Assert.Equal([0.8, 0.3], set.Timesteps);
            Assert.Equal(HookName, set.Hook);
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void BadInputsAreRejectedWithTheProblemNamed()
    {
        var model = tiny.Bundle;
        Assert.Contains("Hook", Assert.Throws<ArgumentException>(() => (SmallSaes with { Hook = "denoiser.blocks.9.hook_resid_post" }).Validate(model)).Message);
        Assert.Contains("Timesteps", Assert.Throws<ArgumentException>(() => (SmallSaes with { Timesteps = [0.5, 1.5] }).Validate(model)).Message);
        Assert.Contains("Strength", Assert.Throws<ArgumentException>(() => new DiffusionSteeringConfig { Strength = double.NaN }.Validate()).Message);
        Assert.Contains("Windows", Assert.Throws<ArgumentException>(() => new DiffusionSteeringConfig { Windows = [new("x", 0.8, 0.2)] }.Validate()).Message);

        // An SAE of another width than the hook's.
        var wrong = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = 17, DSae = 34, K = 4 });
        using var set = new TimestepSaeSet(HookName, [0.5], [wrong]);
        var e = Assert.Throws<ArgumentException>(() => DiffusionSteering.Run(tiny.Bundle, set, new DiffusionSteeringConfig()));
        Assert.Contains("width", e.Message);

        // Non-finite activations.
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-tsae-nan-{Guid.NewGuid():N}");
        using var rows = randn(64, 32);
        using var poisoned = rows.clone();
        poisoned[5, 3] = tensor(float.NaN);
        var levels = new Dictionary<double, Tensor> { [0.5] = poisoned };
        var clean = new Dictionary<double, Tensor> { [0.5] = rows };
        var config = SmallSaes with { Timesteps = [0.5] };
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => TimestepSaes.Fit(HookName, levels, clean, config, dir)).Message);
        Assert.Contains("noise level 0.4", Assert.Throws<ArgumentException>(() => TimestepSaes.Fit(HookName, clean, clean, config with { Timesteps = [0.4] }, dir)).Message);
        Assert.False(Directory.Exists(dir));
    }
}
