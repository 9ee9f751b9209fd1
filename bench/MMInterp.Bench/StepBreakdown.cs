using System.Diagnostics;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using static TorchSharp.torch;

namespace MMInterp.Bench;

/// <summary>Where a dense ReLU step's time goes: the gradient kernel alone, and the fused Adam update alone.</summary>
public static class StepBreakdown
{
    public static (double KernelS, double AdamS) Measure(SaeBenchOptions o, int reps = 3)
    {
        using var scope = NewDisposeScope();
        using var sae = SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = o.D, DSae = o.M });
        var x = randn(o.Batch, o.D);
        var grads = sae.Parameters.ToDictionary(p => p.Name, p => zeros_like(p.Param).detach());
        var fire = zeros(o.M);
        using var kernel = new ReluGradientKernel();
        var cfg = new SaeTrainingConfig { Lr = 1e-4 };
        using var adam = new AdamOptimizer(cfg, sae.Parameters);
        kernel.Compute(sae, x, new SaeLossOptions(1.0), grads, fire);
        double k = double.MaxValue, a = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            kernel.Compute(sae, x, new SaeLossOptions(1.0), grads, fire);
            k = Math.Min(k, sw.Elapsed.TotalSeconds);
            sw.Restart();
            adam.Step(sae.Parameters, grads, i + 1, 1e-4, 1.0);
            a = Math.Min(a, sw.Elapsed.TotalSeconds);
        }
        return (k, a);
    }
}
