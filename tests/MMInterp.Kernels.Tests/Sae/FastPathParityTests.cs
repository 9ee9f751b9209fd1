using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Fast;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.Tensors;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>
/// The generic libtorch path (what every non-CPU device runs) against the hand-written CPU fast paths (OpenBLAS gemm,
/// raw-pointer loops, fused Adam) on the same inputs, both on the CPU: the generic path is forced with
/// <see cref="FastPaths.Disable"/>.
/// </summary>
public class FastPathParityTests
{
    static void Close(Tensor fast, Tensor generic, string what, double tolerance = 1e-5)
    {
        Assert.Equal(fast.shape, generic.shape);
        double scale = generic.abs().max().item<float>();
        double diff = (fast - generic).abs().max().item<float>();
        Assert.True(scale > 0, $"{what}: all zero; the case does not test anything");
        Assert.True(diff <= tolerance * Math.Max(1, scale), $"{what}: fast vs generic max difference {diff} (scale {scale})");
    }

    static T Generic<T>(Func<T> run)
    {
        Assert.True(FastPaths.Enabled, "fast paths should be on by default");
        using (FastPaths.Disable())
        {
            Assert.False(FastPaths.Enabled);
            return run();
        }
    }

    [Theory]
    [MemberData(nameof(GradientCases.Cases), MemberType = typeof(GradientCases))]
    public void GradientKernelsAgreeOnBothPaths(SaeKind kind, bool preBias, double lambda)
    {
        using var scope = NewDisposeScope();
        using var sae = GradientCases.PerturbedSae(kind, preBias, dIn: 40, dSae: 96, k: 7, seed: 5);
        var x = randn(new long[] { 128, 40 }, generator: new Generator(4));
        var opts = new SaeLossOptions(lambda);
        (StepResult R, Dictionary<string, Tensor> Grads, Tensor Fire) Step()
        {
            var grads = sae.Parameters.ToDictionary(p => p.Name, p => zeros_like(p.Param).detach());
            var fire = zeros(96);
            IGradientKernel kernel = kind == SaeKind.Relu ? new ReluGradientKernel() : new TopKGradientKernel();
            var r = kernel.Compute(sae, x, opts, grads, fire);
            (kernel as IDisposable)?.Dispose();
            return (r, grads, fire);
        }
        var fast = Step();
        var generic = Generic(Step);

        Assert.Equal(generic.R.Mse, fast.R.Mse, 4);
        Assert.Equal(generic.R.Sparsity, fast.R.Sparsity, 4);
        Assert.True(Bits.Identical(fast.Fire, generic.Fire), "firing counts differ");
        foreach (var (name, _) in sae.Parameters) Close(fast.Grads[name], generic.Grads[name], name);
    }

    [Fact]
    public void SparseOpsAgreeOnBothPaths()
    {
        using var scope = NewDisposeScope();
        var w = randn(new long[] { 50, 24 }, generator: new Generator(6));
        var idx = randint(50, new long[] { 32, 5 }, generator: new Generator(7));
        var vals = rand(new long[] { 32, 5 }, generator: new Generator(8));
        var g = randn(new long[] { 32, 24 }, generator: new Generator(9));
        var bias = randn(24, generator: new Generator(10));
        Tensor Scatter() { var d = zeros(50, 24); SparseOps.ScatterAddRows(d, idx, vals, g); return d; }

        Close(SparseOps.Decode(w, idx, vals, bias), Generic(() => SparseOps.Decode(w, idx, vals, bias)), "decode");
        Close(SparseOps.GatherDots(w, idx, g), Generic(() => SparseOps.GatherDots(w, idx, g)), "gather dots");
        Close(Scatter(), Generic(Scatter), "scatter-add rows");
    }

    [Fact]
    public void AdamAgreesOnBothPaths()
    {
        using var scope = NewDisposeScope();
        var config = new SaeTrainingConfig { Lr = 1e-2 };
        // Large enough (> 65536 elements) that the fused loop also runs its parallel split.
        Tensor Run()
        {
            var p = randn(new long[] { 300, 256 }, generator: new Generator(11));
            using var adam = new AdamOptimizer(config, [("p", p)]);
            for (var t = 1; t <= 3; t++)
            {
                var grad = randn(new long[] { 300, 256 }, generator: new Generator((ulong)(20 + t)));
                adam.Step([("p", p)], new Dictionary<string, Tensor> { ["p"] = grad }, t, 1e-2, gradScale: 0.5);
            }
            return p;
        }
        Close(Run(), Generic(Run), "parameters after three Adam steps", 1e-6);
    }

    [Fact]
    public void GemmAgreesOnBothPaths()
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { 37, 29 }, generator: new Generator(12));
        var b = randn(new long[] { 29, 41 }, generator: new Generator(13));
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var aa = ta ? a.t().contiguous() : a;
            var bb = tb ? b.t().contiguous() : b;
            Tensor Mm() { var c = ones(37, 41); Gemm.Mm(aa, ta, bb, tb, c, alpha: 0.5f, beta: 2f); return c; }
            Close(Mm(), Generic(Mm), $"gemm transA={ta} transB={tb}");
        }
    }

    [Fact]
    public void TrainingRunsAgreeOnBothPaths()
    {
        SweepConfig Sweep() => new()
        {
            Members =
            [
                new SweepMember("relu", new SaeConfig { Kind = SaeKind.Relu, DIn = 16, DSae = 48, Seed = 1, NormalizeInput = true },
                    new SaeTrainingConfig { Lr = 3e-3, SparsityCoefficient = 0.5, LrWarmupSteps = 5 }),
                new SweepMember("topk", new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 48, K = 3, Seed = 2, UnitNormDecoder = true },
                    new SaeTrainingConfig { Lr = 3e-3 }),
            ],
            BatchSize = 64, TotalSteps = 12, Seed = 7, LogEvery = 4, CheckpointEvery = 0, HistogramEachLog = false,
        };
        using var planted = new PlantedDictionary(16, 24, 2000, 0.1, seed: 4);
        using var fastDir = new TempDir();
        using var genericDir = new TempDir();
        using (var src = new InMemoryActivationSource(planted.Data, seed: 8)) SaeTrainer.Run(Sweep(), src, fastDir.Path);
        using (var src = new InMemoryActivationSource(planted.Data, seed: 8)) Generic(() => SaeTrainer.Run(Sweep(), src, genericDir.Path));

        foreach (var name in new[] { "relu", "topk" })
        {
            var a = MMInterp.Kernels.IO.SafeTensors.Load(Path.Combine(fastDir.Path, name, "sae.safetensors")).Tensors;
            var b = MMInterp.Kernels.IO.SafeTensors.Load(Path.Combine(genericDir.Path, name, "sae.safetensors")).Tensors;
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            // Twelve Adam steps let rounding differences of the two paths grow a little; a wrong formula differs by far more.
            foreach (var (k, t) in a) Close(t, b[k], $"{name}: {k}", 1e-3);
        }
    }
}
