using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Training;

/// <summary>Decoupled-weight-decay Adam written with plain tensor ops. The state tensors are owned here, outside any
/// dispose scope, and every scalar is made fresh per step: TorchSharp 0.107's optimiser failed sporadically
/// ("toFloat ... Expected false to be true") when stepped inside a per-step dispose scope.</summary>
public sealed class AdamW : IDisposable
{
    readonly List<(Parameter P, Tensor M, Tensor V, double Decay)> _state = [];
    readonly double _beta1, _beta2, _eps;
    long _step;

    public AdamW(IEnumerable<(Parameter Parameter, double WeightDecay)> parameters, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        (_beta1, _beta2, _eps) = (beta1, beta2, eps);
        using var _ = no_grad();
        foreach (var (p, decay) in parameters)
            _state.Add((p, zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope(), decay));
    }

    public double LearningRate { get; set; } = 1e-3;

    public void ZeroGrad()
    {
        foreach (var (p, _, _, _) in _state) p.grad?.zero_();
    }

    /// <summary>Rescales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping.</summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = _state.Where(s => s.P.grad is not null).Select(s => s.P.grad!).ToList();
        if (grads.Count == 0) return 0;
        // g * g, not g.pow(2): pow's exponent would be an implicit Scalar, which a GC can finalise mid-call (Tensors/Scalars).
        var norm = stack(grads.Select(g => g.mul(g).sum()).ToArray()).sum().sqrt().item<float>();
        if (norm > maxNorm)
        {
            // Scalars as using-locals stay alive through every native call (a temporary may be finalised mid-call).
            using var factor = (maxNorm / (norm + 1e-6)).ToScalar();
            foreach (var g in grads) g.mul_(factor);
        }
        return norm;
    }

    public void Step()
    {
        _step++;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var bias1 = 1 - Math.Pow(_beta1, _step);
        var bias2 = 1 - Math.Pow(_beta2, _step);
        // Scalars as using-locals stay alive through every native call (a temporary may be finalised mid-call).
        using var beta1 = _beta1.ToScalar();
        using var oneMinusBeta1 = (1 - _beta1).ToScalar();
        using var beta2 = _beta2.ToScalar();
        using var oneMinusBeta2 = (1 - _beta2).ToScalar();
        using var invBias2 = (1 / bias2).ToScalar();
        using var eps = _eps.ToScalar();
        using var stepSize = (-LearningRate / bias1).ToScalar();
        foreach (var (p, m, v, decay) in _state)
        {
            var g = p.grad;
            if (g is null) continue;
            if (decay > 0)
            {
                using var keep = (1 - LearningRate * decay).ToScalar();
                p.mul_(keep);
            }
            m.mul_(beta1).add_(g, alpha: oneMinusBeta1);
            v.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
            var denom = v.mul(invBias2).sqrt_().add_(eps);
            p.addcdiv_(m, denom, value: stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var (_, m, v, _) in _state) { m.Dispose(); v.Dispose(); }
        _state.Clear();
    }
}
