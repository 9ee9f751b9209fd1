using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>Synthetic activations with a known answer: rows are sparse non-negative mixtures of unit-norm atoms.</summary>
internal sealed class PlantedDictionary : IDisposable
{
    public Tensor Atoms { get; }   // [n, d], unit rows
    public Tensor Data { get; }    // [rows, d]

    public PlantedDictionary(int d, int atoms, int rows, double activeProbability, long seed)
    {
        using var gen = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var a = randn(new long[] { atoms, d }, generator: gen);
        a.div_(a.norm(1, true));
        var on = rand(new long[] { rows, atoms }, generator: gen) < S(activeProbability);
        var coef = rand(new long[] { rows, atoms }, generator: gen).add_(S(0.5)) * on.to_type(ScalarType.Float32);
        Atoms = a.MoveToOuterDisposeScope();
        Data = coef.matmul(a).MoveToOuterDisposeScope();
    }

    /// <summary>Share of atoms matched with cosine >= threshold by some decoder row of W_dec [m, d].</summary>
    public double Recovered(Tensor W_dec, double threshold = 0.9)
    {
        using var scope = NewDisposeScope();
        var w = W_dec.detach().cpu();
        w = w / w.norm(1, true).clamp_min(S(1e-12));
        var cos = Atoms.matmul(w.t());              // [atoms, m]
        var best = cos.max(1).values;
        var result = (best >= S(threshold)).to_type(ScalarType.Float32).mean().item<float>();
        Release();
        return result;
    }

    public void Dispose() { Atoms.Dispose(); Data.Dispose(); }
}
