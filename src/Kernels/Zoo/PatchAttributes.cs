using MMInterp.Kernels.ShapesWorld;
using static MMInterp.Kernels.Tensors.Scalars;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>Per-patch ground truth for an auxiliary VLM training loss: the attribute of the object that covers a patch.</summary>
public static class PatchAttributes
{
    /// <summary>Label for patches no object covers enough (ignored by the loss).</summary>
    public const long None = -1;

    /// <summary>[B, side*side] int64 in row-major patch order (the ViT's): the attribute value of the object covering at
    /// least a quarter of the patch's pixels (the larger one when both do), <see cref="None"/> elsewhere.</summary>
    public static Tensor Labels(ShapesBatch batch, ObjectAttribute attribute, int patchSize)
    {
        var (b, h, w) = (batch.Mask.shape[0], batch.Mask.shape[1], batch.Mask.shape[2]);
        if (patchSize < 1 || h % patchSize != 0 || w % patchSize != 0)
            throw new ArgumentException($"patch size {patchSize} must divide the image size {h}x{w}", nameof(patchSize));
        var (rows, cols) = (h / patchSize, w / patchSize);
        using var scope = NewDisposeScope();
        var pixels = batch.Mask.view(b, rows, patchSize, cols, patchSize).permute(0, 1, 3, 2, 4).reshape(b, rows * cols, patchSize * patchSize);
        var objects = batch.Labels[attribute].shape[1];
        var coverage = stack(Enumerable.Range(0, (int)objects).Select(k => pixels.eq(k + 1).sum(-1)).ToArray(), -1); // [B, P, K]
        var (best, which) = coverage.max(-1);
        var values = batch.Labels[attribute].gather(1, which.view(b, -1)).view(b, rows * cols);
        var covered = best.mul(S(4L)).ge(S((long)patchSize * patchSize));
        return where(covered, values, full_like(values, S(None))).MoveToOuterDisposeScope();
    }
}
