using MMInterp.Kernels.Models.StableDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>
/// DDIM and Euler against the reference samplers (tests/reference/sd_scheduler_reference.py): CompVis's beta schedules
/// and uniform DDIM timesteps and alphas, its DDIMSampler's trajectory (eta 0) and k-diffusion's sigmas and
/// sample_euler trajectory, from the same starting latent with the same closed-form model, as eps and as v. Where
/// diffusers' conventions differ from the reference, each side's own guarantee is tested.
/// </summary>
public class SchedulerReferenceTests
{
    // The references step in float32 with float32-stored schedules; ours computes the schedule in double.
    const double Trajectory = 1e-4;
    // Our sigmas come from double alphas; the references' from float32 ones, where 1 - alpha near t = 0 loses
    // ~1e-5 of its relative precision (sigma_0 differs by 1.3e-5 relative).
    const double Sigma = 1e-4;
    // The test loader widens the goldens' F64 schedules from float32 storage (SafeTensors reads F64 as float32).
    const double Float32 = 1e-6;

    [Fact]
    public void BetaSchedulesMatchCompVis()
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var scaled = SchedulerGolden.Config("ddim");
        SchedulerGolden.AssertClose(SchedulerGolden.Values(golden["alphas_cumprod_scaled_linear"]), SchedulerBetas.AlphasCumprod(scaled), Float32, "scaled_linear");
        // diffusers' "linear" is CompVis's "sqrt_linear" (betas evenly spaced), here over SD's own range's defaults.
        var linear = scaled with { BetaSchedule = "linear", BetaStart = 0.0001, BetaEnd = 0.02 };
        SchedulerGolden.AssertClose(SchedulerGolden.Values(golden["alphas_cumprod_linear"]), SchedulerBetas.AlphasCumprod(linear), Float32, "linear");
    }

    [Fact]
    public void LeadingDdimTimestepsAreCompVisUniformOnes()
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var ddim = new DdimScheduler(SchedulerGolden.Config("ddim"));
        foreach (var n in new[] { 50, 10 })
        {
            ddim.SetTimesteps(n);
            var reference = golden[$"ddim_timesteps_{n}"].data<long>().Reverse().ToArray();
            Assert.Equal(reference, ddim.Timesteps);
        }
        // When n does not divide 1000, CompVis's range(0, 1000, 1000 // n) gives one step more than asked (8 for 7,
        // its length assert is commented out); diffusers gives n, the same steps without the last.
        ddim.SetTimesteps(7);
        var seven = golden["ddim_timesteps_7"].data<long>().ToArray();
        Assert.Equal(8, seven.Length);
        Assert.Equal(seven.Take(7).Reverse().ToArray(), ddim.Timesteps.ToArray());
    }

    [Fact]
    public void DdimAlphasAreCompVisSamplingParameters()
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var ddim = new DdimScheduler(SchedulerGolden.Config("ddim"));
        ddim.SetTimesteps(10);
        // CompVis indexes them by position in its ascending list; ours by timestep, highest first.
        var alphas = ddim.Timesteps.Reverse().Select(t => ddim.Alphas(t)).ToList();
        // CompVis stores alphas_cumprod as float32 before selecting: agreement to float32 precision.
        SchedulerGolden.AssertClose(SchedulerGolden.Values(golden["ddim_alphas_10"]), alphas.Select(a => a.AlphaT).ToList(), Float32, "a_t");
        SchedulerGolden.AssertClose(SchedulerGolden.Values(golden["ddim_alphas_prev_10"]), alphas.Select(a => a.AlphaPrev).ToList(), Float32, "a_prev");
        // set_alpha_to_one false: the last step goes to alphas_cumprod[0], as CompVis's does.
        Assert.Equal(ddim.AlphasCumprod[0], ddim.Alphas(ddim.Timesteps[^1]).AlphaPrev);
    }

    [Theory]
    [InlineData("epsilon", "ddim_eps")]
    [InlineData("v_prediction", "ddim_v")]
    public void DdimTrajectoryMatchesCompVisDdimSampler(string prediction, string key)
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var model = SchedulerGolden.FakeModel();
        var ddim = new DdimScheduler(SchedulerGolden.Config("ddim") with { PredictionType = prediction });
        ddim.SetTimesteps(10);
        var x = golden["x_T"] * ddim.InitNoiseSigma;
        for (var i = 0; i < ddim.Timesteps.Count; i++)
        {
            var t = ddim.Timesteps[i];
            x = ddim.Step(model(ddim.ScaleModelInput(x, t), t), t, x);
            VaeGolden.AssertClose(golden[key][i], x, Trajectory, $"{key} step {i} (t = {t})");
        }
    }

    [Fact]
    public void EulerSigmasAreKDiffusionsAtIntegralTimesteps()
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var table = SchedulerGolden.Values(golden["sigma_table"]);
        var euler = new EulerDiscreteScheduler(SchedulerGolden.Config("euler"));
        SchedulerGolden.AssertClose(table, euler.SigmaTable, Sigma, "sigma table");
        euler.SetTimesteps(10);
        SchedulerGolden.AssertClose(SchedulerGolden.Values(golden["euler_sigmas_leading_10"]), euler.Sigmas, Sigma, "leading sigmas");
        Assert.Equal(0, euler.Sigmas[^1]);
        // 'trailing' timesteps are integers too: each sigma is the reference table's at that timestep.
        var trailing = new EulerDiscreteScheduler(SchedulerGolden.Config("euler") with { TimestepSpacing = "trailing" });
        trailing.SetTimesteps(7);
        Assert.Equal(999, trailing.Timesteps[0]);
        SchedulerGolden.AssertClose(trailing.Timesteps.Select(t => table[(int)t]).ToList(), trailing.Sigmas.Take(7).ToList(), Sigma, "trailing sigmas");
    }

    [Fact]
    public void EulerLinspaceInterpolatesSigmaWhereKDiffusionInterpolatesLogSigma()
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var table = SchedulerGolden.Values(golden["sigma_table"]);
        var kd = SchedulerGolden.Values(golden["kd_sigmas_10"]);
        var euler = new EulerDiscreteScheduler(SchedulerGolden.Config("euler") with { TimestepSpacing = "linspace" });
        euler.SetTimesteps(10);
        // The same timesteps as k-diffusion's get_sigmas: linspace(999, 0, n).
        for (var i = 0; i < 10; i++) Assert.Equal(999.0 * (9 - i) / 9, euler.Timesteps[i], 3);
        // diffusers: linear in sigma between table entries (np.interp); exact at the integral ends.
        var linear = euler.Timesteps.Select(t => { var lo = (int)Math.Floor(t); var w = t - lo; return lo + 1 < table.Length ? table[lo] + w * (table[lo + 1] - table[lo]) : table[lo]; }).ToList();
        SchedulerGolden.AssertClose(linear, euler.Sigmas.Take(10).ToList(), Sigma, "linspace sigmas");
        SchedulerGolden.AssertClose([kd[0], kd[9], kd[10]], [euler.Sigmas[0], euler.Sigmas[9], euler.Sigmas[10]], Sigma, "ends");
        // In between, k-diffusion's log-sigma interpolation gives a slightly lower sigma (log is concave).
        for (var i = 1; i < 9; i++)
        {
            Assert.True(kd[i] <= euler.Sigmas[i] * (1 + 1e-6), $"sigma {i}: k-diffusion {kd[i]} above diffusers {euler.Sigmas[i]}");
            Assert.True(Math.Abs(kd[i] - euler.Sigmas[i]) < 1e-3 * euler.Sigmas[i], $"sigma {i}: {kd[i]} vs {euler.Sigmas[i]}");
        }
    }

    [Theory]
    [InlineData("epsilon", "euler_eps")]
    [InlineData("v_prediction", "euler_v")]
    public void EulerTrajectoryMatchesKDiffusionSampleEuler(string prediction, string key)
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var euler = new EulerDiscreteScheduler(SchedulerGolden.Config("euler") with { PredictionType = prediction });
        euler.SetTimesteps(10);
        // k-diffusion starts from sigma_max; diffusers' init_noise_sigma under 'leading' is sqrt(sigma_max^2 + 1).
        Assert.Equal(Math.Sqrt(euler.Sigmas[0] * euler.Sigmas[0] + 1), euler.InitNoiseSigma, 12);
        Run(euler, golden["x_T"] * euler.Sigmas[0], golden[key], key);
    }

    [Fact]
    public void EulerOnKDiffusionsOwnSigmasMatchesSampleEuler()
    {
        using var scope = NewDisposeScope();
        var golden = SchedulerGolden.Tensors();
        var euler = new EulerDiscreteScheduler(SchedulerGolden.Config("euler"));
        euler.SetSigmas(SchedulerGolden.Values(golden["kd_sigmas_10"]));
        // The model is called at k-diffusion's sigma_to_t: the linspace timesteps again (log interpolation inverts itself).
        for (var i = 0; i < 10; i++) Assert.Equal(999.0 * (9 - i) / 9, euler.Timesteps[i], 2);
        Run(euler, golden["x_T"] * euler.Sigmas[0], golden["euler_kd_eps"], "euler_kd_eps");
    }

    static void Run(EulerDiscreteScheduler euler, Tensor x, Tensor expected, string key)
    {
        var model = SchedulerGolden.FakeModel();
        for (var i = 0; i < euler.Timesteps.Count; i++)
        {
            var t = euler.Timesteps[i];
            x = euler.Step(model(euler.ScaleModelInput(x, t), t), t, x);
            Assert.Equal(i + 1, euler.StepIndex);
            VaeGolden.AssertClose(expected[i], x, Trajectory, $"{key} step {i} (t = {t:F3})");
        }
    }
}
