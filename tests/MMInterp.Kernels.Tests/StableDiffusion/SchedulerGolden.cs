using System.Text.Json.Nodes;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>What tests/reference/sd_scheduler_reference.py wrote from CompVis's DDIMSampler and k-diffusion: SD v1's
/// DDIM and Euler scheduler configs, schedules and trajectories, and the fake model's constants.</summary>
internal static class SchedulerGolden
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "LlmGolden", "sd_schedulers");

    public static SchedulerConfig Config(string name) => SchedulerConfigJson.Read(Path.Combine(Dir, name, "scheduler_config.json"));

    public static Dictionary<string, Tensor> Tensors() => SafeTensors.Load(Path.Combine(Dir, "golden.safetensors")).Tensors;

    public static double[] Values(Tensor t) => t.to(ScalarType.Float64).data<double>().ToArray();

    /// <summary>The reference's closed-form model, model(x, t) = a x + b + c t, with its constants from reference.json.</summary>
    public static Func<Tensor, double, Tensor> FakeModel()
    {
        var m = JsonFiles.ReadObject(Path.Combine(Dir, "reference.json"))["fake_model"]!.AsObject();
        double a = m["a"]!.GetValue<double>(), b = m["b"]!.GetValue<double>(), c = m["c"]!.GetValue<double>();
        return (x, t) =>
        {
            using var scale = a.ToScalar();
            using var shift = (b + c * t).ToScalar();
            return x.mul(scale).add_(shift);
        };
    }

    public static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double relative, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * Math.Abs(expected[i]) + 1e-12,
                $"{what}[{i}]: reference {expected[i]:R}, ours {actual[i]:R}");
    }
}
