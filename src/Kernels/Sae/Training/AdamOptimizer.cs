using static MMInterp.Kernels.Tensors.Scalars;
using System.Numerics;
using MMInterp.Kernels.Sae.Fast;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// Adam (torch.optim.Adam's update rule) over named parameters with explicit moment tensors, so they can be
/// checkpointed. On CPU float tensors the whole update (gradient scale from clipping, both moments, bias
/// correction, parameter step) is one fused pass per tensor; on other devices (or with <see cref="FastPaths"/> off)
/// it uses in-place torch ops on the parameters' device.
/// </summary>
public sealed class AdamOptimizer : IDisposable
{
    private readonly SaeTrainingConfig _c;
    public Dictionary<string, Tensor> M { get; } = [];
    public Dictionary<string, Tensor> V { get; } = [];

    public AdamOptimizer(SaeTrainingConfig config, IEnumerable<(string Name, Tensor Param)> parameters)
    {
        _c = config;
        foreach (var (name, p) in parameters)
        {
            M[name] = zeros_like(p).detach().DetachFromDisposeScope();
            V[name] = zeros_like(p).detach().DetachFromDisposeScope();
        }
    }

    /// <summary>One update at 1-based step t with the given learning rate; grads are multiplied by gradScale first.</summary>
    public void Step(IEnumerable<(string Name, Tensor Param)> parameters, IReadOnlyDictionary<string, Tensor> grads, long t, double lr, double gradScale)
    {
        double bc1 = 1 - Math.Pow(_c.Beta1, t), bc2 = 1 - Math.Pow(_c.Beta2, t);
        using var noGrad = no_grad();
        foreach (var (name, p) in parameters)
        {
            var g = grads[name];
            var pd = p.detach();
            if (FastPaths.Apply(pd, g) && FastPaths.Apply(M[name], V[name]))
                FusedCpu(pd, g, M[name], V[name], (float)gradScale, (float)_c.Beta1, (float)_c.Beta2,
                    (float)(lr / bc1), (float)Math.Sqrt(bc2), (float)_c.AdamEps);
            else
            {
                using var scope = NewDisposeScope();
                var gs = gradScale == 1.0 ? g : g * S(gradScale);
                M[name].mul_(S(_c.Beta1)).add_(gs, alpha: S(1 - _c.Beta1));
                V[name].mul_(S(_c.Beta2)).addcmul_(gs, gs, value: S(1 - _c.Beta2));
                var denom = V[name].sqrt().div_(S(Math.Sqrt(bc2))).add_(S(_c.AdamEps));
                pd.addcdiv_(M[name], denom, value: S(-lr / bc1));
            }
        }
    }

    /// <summary>Zero both moments of the given rows (resampled features start with fresh optimiser state).</summary>
    public void ResetRows(string name, Tensor rows, int dim)
    {
        using var noGrad = no_grad();
        M[name].index_fill_(dim, rows, S(0));
        V[name].index_fill_(dim, rows, S(0));
    }

    private static unsafe void FusedCpu(Tensor p, Tensor g, Tensor m, Tensor v, float gs, float b1, float b2, float stepSize, float sqrtBc2, float eps)
    {
        float* pp = NativeTensor.FloatPtr(p), gp = NativeTensor.FloatPtr(g), mp = NativeTensor.FloatPtr(m), vp = NativeTensor.FloatPtr(v);
        long n = p.numel();
        float ob1 = 1 - b1, ob2 = 1 - b2, invSqrtBc2 = 1 / sqrtBc2;
        void Body(long i0, long i1)
        {
            int w = Vector<float>.Count;
            long i = i0;
            var vb1 = new Vector<float>(b1); var vob1 = new Vector<float>(ob1);
            var vb2 = new Vector<float>(b2); var vob2 = new Vector<float>(ob2);
            var vgs = new Vector<float>(gs); var vstep = new Vector<float>(stepSize);
            var vinv = new Vector<float>(invSqrtBc2); var veps = new Vector<float>(eps);
            for (; i <= i1 - w; i += w)
            {
                var gv = Vector.Load(gp + i) * vgs;
                var mv = vb1 * Vector.Load(mp + i) + vob1 * gv;
                var vv = vb2 * Vector.Load(vp + i) + vob2 * gv * gv;
                mv.Store(mp + i); vv.Store(vp + i);
                (Vector.Load(pp + i) - vstep * mv / (Vector.SquareRoot(vv) * vinv + veps)).Store(pp + i);
            }
            for (; i < i1; i++)
            {
                float gv = gp[i] * gs;
                float mv = b1 * mp[i] + ob1 * gv, vv = b2 * vp[i] + ob2 * gv * gv;
                mp[i] = mv; vp[i] = vv;
                pp[i] -= stepSize * mv / (MathF.Sqrt(vv) * invSqrtBc2 + eps);
            }
        }
        // Small tensors are not worth a thread hand-off.
        if (n < 65536) Body(0, n); else SparseOps.ParallelRows(n, Body);
    }

    public void Dispose()
    {
        foreach (var t in M.Values) t.Dispose();
        foreach (var t in V.Values) t.Dispose();
    }
}
