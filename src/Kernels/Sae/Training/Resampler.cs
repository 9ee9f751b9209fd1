using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// Dead-feature resampling (Anthropic, "Towards Monosemanticity"): each dead feature's decoder row becomes a
/// normalised input the SAE reconstructs badly (sampled with probability proportional to squared loss), its encoder
/// column that direction scaled to 0.2x the mean live encoder norm, its bias 0, and its Adam moments reset.
/// Randomness comes from a generator seeded by (seed, step), so a resumed run resamples identically.
/// </summary>
public static class Resampler
{
    public static int Resample(SparseAutoencoder sae, AdamOptimizer adam, DeadFeatureTracker tracker, Tensor xn, long seed, long step)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var dead = tracker.DeadMask().nonzero().flatten();
        int n = (int)dead.numel();
        if (n == 0) return 0;
        double scale = sae.NormScale;
        sae.NormScale = 1.0;
        Tensor recon;
        try { recon = sae.Decode(sae.Encode(xn)); }
        finally { sae.NormScale = scale; }
        var lossPerRow = Sq(recon - xn).sum(1);
        var weights = Sq(lossPerRow) + S(1e-12);
        using var gen = new Generator((ulong)(seed * 1_000_003 + step));
        // Drawn on the CPU (the generator lives there), so every device resamples the same rows.
        var rows = multinomial(weights.cpu(), n, replacement: true, generator: gen).to(xn.device);
        var x = xn.index_select(0, rows);
        if (sae.Config.PreEncoderBias) x = x - sae.b_dec.detach();
        var dirs = x / x.norm(1, true).clamp_min(S(1e-8));
        var alive = tracker.DeadMask().logical_not();
        var encNorms = sae.W_enc.detach().norm(0);
        double liveNorm = alive.any().item<bool>() ? encNorms.masked_select(alive).mean().item<float>() : 1.0;
        sae.W_dec.detach().index_copy_(0, dead, dirs);
        sae.W_enc.detach().index_copy_(1, dead, (dirs * S(0.2 * liveNorm)).t());
        sae.b_enc.detach().index_fill_(0, dead, S(0));
        adam.ResetRows("W_dec", dead, 0);
        adam.ResetRows("W_enc", dead, 1);
        adam.ResetRows("b_enc", dead, 0);
        tracker.RowsSinceFired.index_fill_(0, dead, S(0));
        return n;
    }
}
