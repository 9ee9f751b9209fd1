using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>TopK SAE: keep the k largest pre-activations per row (then ReLU). No sparsity penalty.</summary>
public sealed class TopKSae(SaeConfig config, Device? device = null) : SparseAutoencoder(config, device)
{
    protected override Tensor Activate(Tensor pre, bool training)
    {
        var (vals, idx) = pre.topk(Config.K, dim: 1);
        return zeros_like(pre).scatter(1, idx, vals.relu());
    }

    protected override Tensor SparsityPenalty(Tensor z, Tensor pre, double coefficient) => zeros(new long[0], device: Device);

    /// <summary>Sparse decode in normalised space: b_dec + sum_i vals[b,i] * W_dec[idx[b,i]], without a [B,m] matrix.</summary>
    public Tensor DecodeSparseNormalized(Tensor idx, Tensor vals) => Fast.SparseOps.Decode(W_dec.detach(), idx, vals, b_dec.detach());
}
