using System.Numerics;
using MMInterp.Kernels.Tensors;

namespace MMInterp.Kernels.Sae.Fast;

/// <summary>
/// Fused elementwise passes over the [B, m] latent matrix of the dense ReLU step (about 134 MB at B=4096, m=8192):
/// each pass is memory-bound, so doing bias+ReLU in one pass and mask+column sums in another saves whole sweeps.
/// Per-worker partial sums are reduced in a fixed order, so results do not depend on scheduling. The loops run on CPU
/// float tensors only (<see cref="FastPaths"/>); on any other device the same results come from libtorch ops.
/// </summary>
public static unsafe class DenseOps
{
    /// <summary>z = max(z + bias[col], 0) in place, z [rows, cols].</summary>
    public static void AddBiasRelu(TorchSharp.torch.Tensor z, TorchSharp.torch.Tensor bias)
    {
        if (!FastPaths.Apply(z, bias))
        {
            z.add_(bias).relu_();
            return;
        }
        int cols = (int)z.shape[1];
        float* zp = NativeTensor.FloatPtr(z), bp = NativeTensor.FloatPtr(bias);
        SparseOps.ParallelRows(z.shape[0], (r0, r1) =>
        {
            int w = Vector<float>.Count;
            for (long r = r0; r < r1; r++)
            {
                float* row = zp + r * cols;
                int j = 0;
                for (; j <= cols - w; j += w)
                    Vector.Max(Vector.Load(row + j) + Vector.Load(bp + j), Vector<float>.Zero).Store(row + j);
                for (; j < cols; j++) row[j] = Math.Max(row[j] + bp[j], 0f);
            }
        });
    }

    /// <summary>
    /// ReLU backward in place: g = (z > 0) ? g + colAdd : 0 (colAdd [cols], e.g. the L1 term, may be null). Also returns
    /// per-column sums of the new g (the b_enc gradient), of z (for the norm-weighted L1) and of (z > 0) (firing counts).
    /// </summary>
    public static void ReluBackward(TorchSharp.torch.Tensor g, TorchSharp.torch.Tensor z, TorchSharp.torch.Tensor? colAdd,
        TorchSharp.torch.Tensor gColSum, TorchSharp.torch.Tensor zColSum, TorchSharp.torch.Tensor fireColSum)
    {
        if (!FastPaths.Apply(g, z) || !(colAdd is null || FastPaths.Apply(colAdd)) || !FastPaths.Apply(gColSum, zColSum, fireColSum))
        {
            ReluBackwardGeneric(g, z, colAdd, gColSum, zColSum, fireColSum);
            return;
        }
        var zeroAdd = colAdd is null ? TorchSharp.torch.zeros(z.shape[1]) : null;
        float* ap = NativeTensor.FloatPtr(colAdd ?? zeroAdd!);
        long rows = z.shape[0];
        int cols = (int)z.shape[1];
        int workers = (int)Math.Min(Math.Max(1, Environment.ProcessorCount), Math.Max(1, rows));
        var partial = new float[workers, 3, cols];
        float* gp = NativeTensor.FloatPtr(g), zp = NativeTensor.FloatPtr(z);
        Parallel.For(0, workers, t =>
        {
            long r0 = rows * t / workers, r1 = rows * (t + 1) / workers;
            fixed (float* pg = &partial[t, 0, 0], pz = &partial[t, 1, 0], pf = &partial[t, 2, 0])
            {
                int w = Vector<float>.Count;
                var one = Vector<float>.One;
                for (long r = r0; r < r1; r++)
                {
                    float* grow = gp + r * cols, zrow = zp + r * cols;
                    int j = 0;
                    for (; j <= cols - w; j += w)
                    {
                        var zv = Vector.Load(zrow + j);
                        var mask = Vector.GreaterThan(zv, Vector<float>.Zero);
                        var gv = Vector.ConditionalSelect(mask, Vector.Load(grow + j) + Vector.Load(ap + j), Vector<float>.Zero);
                        gv.Store(grow + j);
                        (Vector.Load(pg + j) + gv).Store(pg + j);
                        (Vector.Load(pz + j) + zv).Store(pz + j);
                        (Vector.Load(pf + j) + Vector.ConditionalSelect(mask, one, Vector<float>.Zero)).Store(pf + j);
                    }
                    for (; j < cols; j++)
                    {
                        bool on = zrow[j] > 0;
                        grow[j] = on ? grow[j] + ap[j] : 0;
                        pg[j] += grow[j];
                        pz[j] += zrow[j];
                        pf[j] += on ? 1 : 0;
                    }
                }
            }
        });
        var outs = new[] { gColSum, zColSum, fireColSum };
        for (int s = 0; s < 3; s++)
        {
            var o = NativeTensor.FloatSpan(outs[s]);
            o.Clear();
            for (int t = 0; t < workers; t++)
                for (int j = 0; j < cols; j++) o[j] += partial[t, s, j];
        }
        zeroAdd?.Dispose();
    }

    /// <summary>The same as <see cref="ReluBackward"/> with libtorch ops, on any device.</summary>
    static void ReluBackwardGeneric(TorchSharp.torch.Tensor g, TorchSharp.torch.Tensor z, TorchSharp.torch.Tensor? colAdd,
        TorchSharp.torch.Tensor gColSum, TorchSharp.torch.Tensor zColSum, TorchSharp.torch.Tensor fireColSum)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var on = z.gt(Scalars.S(0.0));
        if (colAdd is not null) g.add_(colAdd);
        // Where z is not positive the gradient is 0 whatever g held (also NaN), as in the fused loop.
        g.masked_fill_(on.logical_not(), Scalars.S(0.0));
        gColSum.copy_(g.sum(dim: 0));
        zColSum.copy_(z.sum(dim: 0));
        fireColSum.copy_(on.to_type(TorchSharp.torch.ScalarType.Float32).sum(dim: 0));
    }
}
