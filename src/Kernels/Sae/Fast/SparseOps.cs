using System.Numerics;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Fast;

/// <summary>
/// Row-sparse products for TopK SAEs: with k of m latents active per row, decoding and its gradients touch only the
/// k selected decoder rows (B*k*d multiply-adds) instead of a dense [B,m]x[m,d] product. Hand-written C# loops on
/// CPU (libtorch has no fused weighted-gather-sum exposed in TorchSharp 0.107), for CPU float tensors only
/// (<see cref="FastPaths"/>); other devices, and the CPU with fast paths off, use gather/index_add torch ops.
/// </summary>
public static unsafe class SparseOps
{
    private static int Workers => Math.Max(1, Environment.ProcessorCount);

    /// <summary>out[b] = bias + sum_i vals[b,i] * W[idx[b,i]].  W [m,d], idx int64 [B,k], vals [B,k].</summary>
    public static Tensor Decode(Tensor W, Tensor idx, Tensor vals, Tensor? bias)
    {
        long B = idx.shape[0], d = W.shape[1];
        if (!FastPaths.Apply(W, vals) || !CpuIndex(idx))
        {
            var rows = W.index_select(0, idx.flatten()).view(B, idx.shape[1], d);
            var r = (rows * vals.unsqueeze(-1)).sum(1);
            return bias is null ? r : r + bias;
        }
        var output = bias is null ? zeros(B, d) : bias.unsqueeze(0).expand(B, d).contiguous();
        int k = (int)idx.shape[1], dd = (int)d;
        float* w = NativeTensor.FloatPtr(W), v = NativeTensor.FloatPtr(vals), o = NativeTensor.FloatPtr(output);
        long* ix = (long*)NativeTensor.Pointer(idx);
        ParallelRows(B, (b0, b1) =>
        {
            for (long b = b0; b < b1; b++)
                for (int i = 0; i < k; i++)
                {
                    float a = v[b * k + i];
                    if (a != 0) Axpy(a, w + ix[b * k + i] * dd, o + b * dd, dd);
                }
        });
        return output;
    }

    /// <summary>dv[b,i] = g[b] . W[idx[b,i]]: the gradient reaching each selected latent.</summary>
    public static Tensor GatherDots(Tensor W, Tensor idx, Tensor g)
    {
        long B = idx.shape[0];
        int k = (int)idx.shape[1], d = (int)W.shape[1];
        if (!FastPaths.Apply(W, g) || !CpuIndex(idx))
        {
            using var scope = NewDisposeScope();
            var rows = W.index_select(0, idx.flatten()).view(B, k, d);
            return rows.bmm(g.unsqueeze(2)).squeeze(2).MoveToOuterDisposeScope();
        }
        var result = empty(B, k);
        float* w = NativeTensor.FloatPtr(W), gp = NativeTensor.FloatPtr(g), r = NativeTensor.FloatPtr(result);
        long* ix = (long*)NativeTensor.Pointer(idx);
        ParallelRows(B, (b0, b1) =>
        {
            for (long b = b0; b < b1; b++)
                for (int i = 0; i < k; i++)
                    r[b * k + i] = Dot(w + ix[b * k + i] * d, gp + b * d, d);
        });
        return result;
    }

    /// <summary>dW[idx[b,i]] += vals[b,i] * g[b] (rows of dW [m, d] from rows of g [B, d]). Each worker owns a range
    /// of dW rows and scans all pairs, so there are no write races and the summation order is fixed (deterministic).</summary>
    public static void ScatterAddRows(Tensor dW, Tensor idx, Tensor vals, Tensor g)
    {
        long B = idx.shape[0], m = dW.shape[0];
        int k = (int)idx.shape[1], d = (int)dW.shape[1];
        if (!FastPaths.Apply(dW, g, vals) || !CpuIndex(idx))
        {
            using var scope = NewDisposeScope();
            dW.index_add_(0, idx.flatten(), (vals.unsqueeze(-1) * g.unsqueeze(1)).view(B * k, d), Scalars.S(1.0));
            return;
        }
        float* w = NativeTensor.FloatPtr(dW), gp = NativeTensor.FloatPtr(g), v = NativeTensor.FloatPtr(vals);
        long* ix = (long*)NativeTensor.Pointer(idx);
        ParallelRows(m, (r0, r1) =>
        {
            for (long b = 0; b < B; b++)
                for (int i = 0; i < k; i++)
                {
                    long row = ix[b * k + i];
                    if (row < r0 || row >= r1) continue;
                    float a = v[b * k + i];
                    if (a != 0) Axpy(a, gp + b * d, w + row * d, d);
                }
        });
    }

    /// <summary>An index tensor the loops can read through a raw pointer.</summary>
    static bool CpuIndex(Tensor idx) => idx.device_type == DeviceType.CPU && idx.dtype == ScalarType.Int64 && idx.is_contiguous();

    internal static void ParallelRows(long n, Action<long, long> body)
    {
        int workers = (int)Math.Min(Workers, Math.Max(1, n));
        if (workers == 1) { body(0, n); return; }
        Parallel.For(0, workers, t => body(n * t / workers, n * (t + 1) / workers));
    }

    internal static void Axpy(float a, float* x, float* y, int n)
    {
        int i = 0, w = Vector<float>.Count;
        var va = new Vector<float>(a);
        for (; i <= n - w; i += w)
        {
            var vy = Vector.Load(y + i) + va * Vector.Load(x + i);
            vy.Store(y + i);
        }
        for (; i < n; i++) y[i] += a * x[i];
    }

    internal static float Dot(float* x, float* y, int n)
    {
        int i = 0, w = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        for (; i <= n - w; i += w) acc += Vector.Load(x + i) * Vector.Load(y + i);
        float s = Vector.Sum(acc);
        for (; i < n; i++) s += x[i] * y[i];
        return s;
    }
}
