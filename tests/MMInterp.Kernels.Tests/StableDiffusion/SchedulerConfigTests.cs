using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.StableDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>scheduler_config.json reading (diffusers' defaults per class, refusals by name) and the schedulers'
/// guarantees that have no reference run: spacings, step bookkeeping, clipping, one-line errors.</summary>
public class SchedulerConfigTests
{
    static JsonObject Golden(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(SchedulerGolden.Dir, name, "scheduler_config.json")))!.AsObject();

    [Fact]
    public void WrittenConfigsReadBackEqual()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-scheduler-").FullName;
        try
        {
            var path = Path.Combine(dir, "scheduler_config.json");
            foreach (var c in new[]
            {
                SchedulerGolden.Config("ddim"),
                new SchedulerConfig { ClassName = SchedulerConfig.Euler, BetaSchedule = "scaled_linear", BetaStart = 0.00085, BetaEnd = 0.012,
                    StepsOffset = 1, TimestepSpacing = "trailing", PredictionType = "v_prediction", ClipSample = false, FinalSigmasType = "sigma_min" },
            })
            {
                SchedulerConfigJson.Write(c, path);
                Assert.Equal(c, SchedulerConfigJson.Read(path));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ReadsStableDiffusionConfigsAndDiffusersDefaults()
    {
        var ddim = SchedulerGolden.Config("ddim");
        Assert.Equal((SchedulerConfig.Ddim, "scaled_linear", 1, "leading", false, false), (ddim.ClassName, ddim.BetaSchedule, ddim.StepsOffset, ddim.TimestepSpacing, ddim.SetAlphaToOne, ddim.ClipSample));
        Assert.Equal((0.00085, 0.012, 1000), (ddim.BetaStart, ddim.BetaEnd, ddim.NumTrainTimesteps));
        var euler = SchedulerGolden.Config("euler");
        Assert.Equal((SchedulerConfig.Euler, "leading", "epsilon", "zero"), (euler.ClassName, euler.TimestepSpacing, euler.PredictionType, euler.FinalSigmasType));
        // Absent fields: diffusers' defaults for the class (DDIM clips and spaces 'leading', Euler 'linspace').
        var bareDdim = SchedulerConfigJson.Read(new JsonObject { ["_class_name"] = "DDIMScheduler" }, "s.json");
        Assert.Equal(("linear", "leading", true, true, 0), (bareDdim.BetaSchedule, bareDdim.TimestepSpacing, bareDdim.ClipSample, bareDdim.SetAlphaToOne, bareDdim.StepsOffset));
        var bareEuler = SchedulerConfigJson.Read(new JsonObject { ["_class_name"] = "EulerDiscreteScheduler" }, "s.json");
        Assert.Equal(("linspace", false), (bareEuler.TimestepSpacing, bareEuler.ClipSample));
    }

    public static TheoryData<string, string, string, string> BadConfigs => new()
    {
        { "ddim", "_class_name", "\"PNDMScheduler\"", "_class_name 'PNDMScheduler' is not a supported scheduler" },
        { "ddim", "beta_schedule", "\"squaredcos_cap_v2\"", "beta_schedule 'squaredcos_cap_v2' is not supported" },
        { "ddim", "prediction_type", "\"sample\"", "prediction_type 'sample' is not supported" },
        { "ddim", "timestep_spacing", "\"uniform\"", "timestep_spacing 'uniform' is not supported" },
        { "ddim", "steps_offset", "\"1\"", "steps_offset must be a number" },
        { "ddim", "steps_offset", "-1", "steps_offset must be in" },
        { "ddim", "beta_end", "1.5", "beta_end must be in (0, 1)" },
        { "ddim", "num_train_timesteps", "1", "num_train_timesteps must be in" },
        { "ddim", "trained_betas", "[0.1, 0.2]", "trained_betas is set" },
        { "ddim", "thresholding", "true", "thresholding is true" },
        { "ddim", "rescale_betas_zero_snr", "true", "rescale_betas_zero_snr is true" },
        { "ddim", "set_alpha_to_one", "1", "set_alpha_to_one must be true or false" },
        { "euler", "use_karras_sigmas", "true", "use_karras_sigmas is true" },
        { "euler", "interpolation_type", "\"log_linear\"", "interpolation_type \"log_linear\" is not supported" },
        { "euler", "timestep_type", "\"continuous\"", "timestep_type \"continuous\" is not supported" },
        { "euler", "final_sigmas_type", "\"one\"", "final_sigmas_type 'one' is not supported" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void BadFieldsAreNamedInOneLine(string which, string field, string json, string expected)
    {
        var root = Golden(which);
        root[field] = JsonNode.Parse(json);
        var e = Assert.Throws<InvalidDataException>(() => SchedulerConfigJson.Read(root, "scheduler/scheduler_config.json"));
        Assert.StartsWith("scheduler/scheduler_config.json: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingClassAndMismatchedSchedulerAreRefused()
    {
        var root = Golden("ddim");
        root.Remove("_class_name");
        Assert.Contains("_class_name is missing", Assert.Throws<InvalidDataException>(() => SchedulerConfigJson.Read(root, "s.json")).Message);
        var e = Assert.Throws<ArgumentException>(() => new EulerDiscreteScheduler(SchedulerGolden.Config("ddim")));
        Assert.Contains("_class_name is 'DDIMScheduler', not EulerDiscreteScheduler", e.Message);
    }

    [Fact]
    public void SpacingsFollowDiffusersDefinitions()
    {
        var c = SchedulerGolden.Config("ddim");
        var trailing = new DdimScheduler(c with { TimestepSpacing = "trailing" });
        trailing.SetTimesteps(10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 999L - 100 * i), trailing.Timesteps);
        var linspace = new DdimScheduler(c with { TimestepSpacing = "linspace" });
        linspace.SetTimesteps(4);
        Assert.Equal(new long[] { 999, 666, 333, 0 }, linspace.Timesteps);
        // DDIM's previous timestep is t - N / n under every spacing (diffusers' rule).
        Assert.Equal(666 - 250, linspace.PreviousTimestep(666));
        var euler = new EulerDiscreteScheduler(SchedulerGolden.Config("euler") with { TimestepSpacing = "linspace" });
        euler.SetTimesteps(4);
        Assert.Equal(new[] { 999.0, 666.0, 333.0, 0.0 }, euler.Timesteps);
        Assert.Equal(euler.Sigmas[0], euler.InitNoiseSigma);
        var sigmaMin = new EulerDiscreteScheduler(SchedulerGolden.Config("euler") with { FinalSigmasType = "sigma_min" });
        sigmaMin.SetTimesteps(5);
        Assert.Equal((double)(float)sigmaMin.SigmaTable[0], sigmaMin.Sigmas[^1]);
    }

    [Fact]
    public void StepsOutsideTheScheduleAreRefusedInOneLine()
    {
        using var scope = NewDisposeScope();
        var ddim = new DdimScheduler(SchedulerGolden.Config("ddim"));
        Assert.Throws<InvalidOperationException>(() => ddim.Step(zeros(1), 1, zeros(1)));
        Assert.Contains("num_inference_steps must be in 1..num_train_timesteps (1000), got 1001", Assert.Throws<ArgumentException>(() => ddim.SetTimesteps(1001)).Message);
        // steps_offset 1 with 1000 steps would need timestep 1000.
        Assert.Contains("timestep 1000 falls outside 0..999", Assert.Throws<ArgumentException>(() => ddim.SetTimesteps(1000)).Message);
        ddim.SetTimesteps(10);
        Assert.Contains("differ in shape", Assert.Throws<ArgumentException>(() => ddim.Step(zeros(2), 901, zeros(3))).Message);
        var euler = new EulerDiscreteScheduler(SchedulerGolden.Config("euler"));
        euler.SetTimesteps(3);
        Assert.Contains("timestep 500 is not in the schedule", Assert.Throws<ArgumentException>(() => euler.ScaleModelInput(zeros(1), 500)).Message);
        var x = ones(1);
        foreach (var t in euler.Timesteps) x = euler.Step(zeros(1), t, x);
        Assert.Throws<InvalidOperationException>(() => euler.Step(zeros(1), euler.Timesteps[^1], x));
        Assert.Contains("non-increasing", Assert.Throws<ArgumentException>(() => euler.SetSigmas([1.0, 2.0, 0.0])).Message);
    }

    [Fact]
    public void ClipSampleBoundsThePredictedCleanSample()
    {
        using var scope = NewDisposeScope();
        var c = SchedulerGolden.Config("ddim");
        var clipped = new DdimScheduler(c with { ClipSample = true, ClipSampleRange = 1.0 });
        var free = new DdimScheduler(c);
        clipped.SetTimesteps(10);
        free.SetTimesteps(10);
        var t = clipped.Timesteps[3];
        var (a, aPrev) = clipped.Alphas(t);
        // A sample whose predicted clean sample is 5 everywhere: clipping moves it to 1, the noise direction stays.
        var eps = full(4, 0.5);
        var sample = full(4, 5 * Math.Sqrt(a) + 0.5 * Math.Sqrt(1 - a));
        var expected = Math.Sqrt(aPrev) * 1 + Math.Sqrt(1 - aPrev) * 0.5;
        Assert.Equal(expected, clipped.Step(eps, t, sample)[0].item<float>(), 4);
        Assert.Equal(Math.Sqrt(aPrev) * 5 + Math.Sqrt(1 - aPrev) * 0.5, free.Step(eps, t, sample)[0].item<float>(), 4);
    }
}
