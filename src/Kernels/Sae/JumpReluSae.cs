using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>
/// JumpReLU SAE (Rajamanoharan et al., "Jumping Ahead"): z = pre * H(pre - theta) with a learned per-feature threshold
/// theta = exp(log_threshold), trained with an L0 penalty. H has no useful derivative, so theta receives the
/// paper's straight-through pseudo-derivatives with a rectangle kernel of width epsilon:
///   d JumpReLU / d theta = -(theta/eps) K((pre-theta)/eps),   d H / d theta = -(1/eps) K((pre-theta)/eps).
/// They are injected as (theta - theta.detach()) * pseudo.detach(): zero in value, the pseudo-gradient in backward.
/// </summary>
public sealed class JumpReluSae : SparseAutoencoder
{
    public Tensor log_threshold { get; }

    public JumpReluSae(SaeConfig config, Device? device = null) : base(config, device)
    {
        log_threshold = full(config.DSae, S(Math.Log(config.JumpReluInitThreshold)), device: Device).requires_grad_().DetachFromDisposeScope();
        AddParameter("log_threshold", log_threshold);
    }

    private Tensor Rectangle(Tensor u) => ((u > S(-0.5)) & (u < S(0.5))).to_type(u.dtype);

    protected override Tensor Activate(Tensor pre, bool training)
    {
        var theta = log_threshold.exp();
        var gate = (pre > theta).to_type(pre.dtype);
        if (!training) return pre * gate;
        double eps = Config.JumpReluBandwidth;
        // d/dpre of JumpReLU is H(pre - theta) (the paper passes the gate through), hence pre * gate.detach().
        var pseudo = (-(theta / S(eps)) * Rectangle((pre - theta) / S(eps))).detach();
        return pre * gate.detach() + (theta - theta.detach()) * pseudo;
    }

    protected override Tensor SparsityPenalty(Tensor z, Tensor pre, double coefficient)
    {
        var theta = log_threshold.exp();
        double eps = Config.JumpReluBandwidth;
        var step = (pre > theta).to_type(pre.dtype).detach();
        var pseudo = (Rectangle((pre - theta) / S(eps)) * S(-1.0 / eps)).detach();
        var l0 = step + (theta - theta.detach()) * pseudo;
        return l0.sum(-1).mean() * S(coefficient);
    }
}
