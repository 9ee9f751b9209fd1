using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>
/// BatchTopK SAE (Bussmann et al.): keep the k*B largest ReLU'd pre-activations across the whole batch. Inference
/// uses a threshold tracked as a running mean of the smallest kept activation, so rows encode independently.
/// </summary>
public sealed class BatchTopKSae : SparseAutoencoder
{
    private readonly Tensor _threshold;
    public override IReadOnlyList<(string Name, Tensor Buffer)> Buffers => [("threshold", _threshold)];

    public BatchTopKSae(SaeConfig config, Device? device = null) : base(config, device) =>
        _threshold = zeros(new long[] { 1 }, device: Device).DetachFromDisposeScope();

    protected override Tensor Activate(Tensor pre, bool training)
    {
        var r = pre.relu();
        if (!training) return r * (r > _threshold).to_type(r.dtype);
        long n = pre.shape[0], m = pre.shape[1];
        int kk = (int)Math.Min(Config.K * n, n * m);
        var flat = r.flatten();
        var (vals, idx) = flat.topk(kk, dim: 0, sorted: false);
        using (no_grad())
        {
            var pos = vals.masked_select(vals > S(0));
            if (pos.numel() > 0) _threshold.mul_(S(0.99)).add_(pos.min(), alpha: S(0.01));
        }
        return zeros_like(flat).scatter(0, idx, vals).view(n, m);
    }

    protected override Tensor SparsityPenalty(Tensor z, Tensor pre, double coefficient) => zeros(new long[0], device: Device);
}
