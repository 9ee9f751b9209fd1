using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>ReLU SAE with an L1 penalty weighted by decoder row norms (so shrinking W_dec cannot dodge the penalty).</summary>
public sealed class ReluSae(SaeConfig config, Device? device = null) : SparseAutoencoder(config, device)
{
    protected override Tensor Activate(Tensor pre, bool training) => pre.relu();

    protected override Tensor SparsityPenalty(Tensor z, Tensor pre, double coefficient) =>
        (z * W_dec.norm(1)).sum(-1).mean() * S(coefficient);
}
