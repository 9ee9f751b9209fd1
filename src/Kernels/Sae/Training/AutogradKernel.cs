using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>Reference path: the variant's Forward plus libtorch autograd. Works for every variant and device.</summary>
public sealed class AutogradKernel : IGradientKernel
{
    public StepResult Compute(SparseAutoencoder sae, Tensor xn, SaeLossOptions loss, IReadOnlyDictionary<string, Tensor> grads, Tensor fireCounts)
    {
        using var scope = NewDisposeScope();
        // Forward normalises internally; xn is already normalised, so run it with the scale temporarily at 1.
        double scale = sae.NormScale;
        sae.NormScale = 1.0;
        SaeOutput o;
        try { o = sae.Forward(xn, loss); }
        finally { sae.NormScale = scale; }
        var total = o.Total;
        var ps = sae.Parameters;
        var gs = autograd.grad([total], ps.Select(p => p.Param).ToList(), allow_unused: true);
        using (no_grad())
        {
            for (int i = 0; i < ps.Count; i++)
            {
                var g = grads[ps[i].Name];
                if (gs[i] is null || gs[i].IsInvalid) g.zero_(); else g.copy_(gs[i]);
            }
            fireCounts.add_((o.Latents > S(0)).sum(dim: 0).to_type(ScalarType.Float32));
        }
        return new StepResult(o.Mse.item<float>(), o.Sparsity.item<float>(), o.Aux.item<float>());
    }
}
