using static TorchSharp.torch;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// Recomputes a pure computation whose result holds a NaN or infinity. libtorch's oneDNN (mkldnn) convolutions on
/// this CPU sporadically return NaN: a freshly loaded tiny SD U-Net's first step gave non-finite noise in 6 to 12 of
/// 180 runs, a recompute of the same call was finite every time, and with oneDNN switched off (at::Context's
/// setUserEnabledMkldnn(false)) none of 180 runs failed (docs/ARCHITECTURE.md, "The zoo U-Net"), so the last try runs
/// without it. A real overflow stays non-finite and is reported after the last try.
/// </summary>
public static class NonFiniteRetry
{
    public const int Tries = 4;

    /// <param name="compute">a deterministic computation of one tensor (no side effects)</param>
    /// <param name="what">names the computation in the error</param>
    public static Tensor Run(Func<Tensor> compute, string what)
    {
        for (var attempt = 1; ; attempt++)
        {
            // The last try runs with oneDNN off, the measured source of these NaNs: under heavy load (a full test suite
            // beside two trainings) a tiny pipeline's step stayed NaN through every oneDNN recompute. Process-wide and
            // restored at once, as UNetZooTrainer does for its run.
            var result = attempt < Tries ? compute() : WithoutOneDnn(compute);
            if (result.isfinite().all().item<bool>()) return result;
            if (attempt == Tries) throw new InvalidOperationException($"{what} stayed non-finite in {Tries} tries (overflow or a NaN in the inputs or weights)");
            result.Dispose();
            Retries++;
        }
    }

    static Tensor WithoutOneDnn(Func<Tensor> compute)
    {
        var wasOn = OneDnn.Enabled;
        OneDnn.TrySetEnabled(false);
        try { return compute(); }
        finally { if (wasOn) OneDnn.TrySetEnabled(true); }
    }

    /// <summary>Recomputations in this process so far (a run that needed none reads 0).</summary>
    public static long Retries { get; private set; }
}
