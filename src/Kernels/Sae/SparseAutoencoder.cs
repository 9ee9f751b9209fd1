using static MMInterp.Kernels.Tensors.Scalars;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>
/// Shared parameters, initialisation, normalisation and the MSE/aux-K losses; variants supply the activation
/// and the sparsity penalty. Loss parts are computed on inputs already multiplied by <see cref="NormScale"/>.
/// </summary>
public abstract class SparseAutoencoder : ISparseAutoencoder
{
    public SaeConfig Config { get; }
    public Device Device { get; }
    public double NormScale { get; internal set; } = 1.0;
    public Tensor W_enc { get; }
    public Tensor b_enc { get; }
    public Tensor W_dec { get; }
    public Tensor b_dec { get; }
    private readonly List<(string, Tensor)> _params;
    public IReadOnlyList<(string Name, Tensor Param)> Parameters => _params;
    /// <summary>Non-trainable state saved with the weights (e.g. BatchTopK's inference threshold).</summary>
    public virtual IReadOnlyList<(string Name, Tensor Buffer)> Buffers => [];

    protected SparseAutoencoder(SaeConfig config, Device? device)
    {
        Config = config.Validate();
        Device = device ?? CPU;
        int d = config.DIn, m = config.DSae;
        using var gen = new Generator((ulong)config.Seed);
        using (no_grad())
        {
            // SAELens-style init: random unit directions scaled to a small norm; encoder tied to the decoder.
            var dec = randn(new long[] { m, d }, generator: gen);
            dec.div_(dec.norm(1, true));
            dec.mul_(S(config.UnitNormDecoder ? 1.0 : config.DecoderInitNorm));
            Tensor enc;
            if (config.TiedInit) enc = dec.t().clone();
            else
            {
                double bound = Math.Sqrt(6.0 / d); // kaiming-uniform over fan-in d
                enc = rand(new long[] { d, m }, generator: gen).mul_(S(2 * bound)).sub_(S(bound));
            }
            // Parameters outlive any caller's dispose scope.
            W_enc = enc.contiguous().to(Device).clone().requires_grad_().DetachFromDisposeScope();
            W_dec = dec.to(Device).clone().requires_grad_().DetachFromDisposeScope();
            b_enc = zeros(m, device: Device).requires_grad_().DetachFromDisposeScope();
            b_dec = zeros(d, device: Device).requires_grad_().DetachFromDisposeScope();
            enc.Dispose(); dec.Dispose();
        }
        _params = [("W_enc", W_enc), ("b_enc", b_enc), ("W_dec", W_dec), ("b_dec", b_dec)];
    }

    protected void AddParameter(string name, Tensor p) => _params.Add((name, p));

    public Tensor Normalize(Tensor x) => NormScale == 1.0 ? x.alias() : x * S(NormScale);

    /// <summary>Pre-activations x W_enc + b_enc on normalised input.</summary>
    public Tensor PreActivations(Tensor xn) =>
        (Config.PreEncoderBias ? xn - b_dec : xn).matmul(W_enc) + b_enc;

    /// <summary>Latents from pre-activations; training selects the training-time rule (STE, batch top-k).</summary>
    protected abstract Tensor Activate(Tensor pre, bool training);

    /// <summary>Sparsity penalty (already multiplied by the coefficient), mean over the batch.</summary>
    protected abstract Tensor SparsityPenalty(Tensor z, Tensor pre, double coefficient);

    /// <summary>Whether this variant uses the aux-K term when dead features exist.</summary>
    protected virtual bool UsesAuxK => Config.Kind is SaeKind.TopK or SaeKind.BatchTopK;

    public Tensor Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        try { return Activate(PreActivations(Normalize(x)), training: false).MoveToOuterDisposeScope(); }
        finally { Release(); }
    }

    public Tensor DecodeNormalized(Tensor z) => z.matmul(W_dec) + b_dec;

    public Tensor Decode(Tensor z)
    {
        using var scope = NewDisposeScope();
        var r = DecodeNormalized(z);
        try { return (NormScale == 1.0 ? r : r / S(NormScale)).MoveToOuterDisposeScope(); }
        finally { Release(); }
    }

    public SaeOutput Forward(Tensor x, SaeLossOptions loss)
    {
        var xn = Normalize(x);
        var pre = PreActivations(xn);
        var z = Activate(pre, training: true);
        var xhat = DecodeNormalized(z);
        var mse = Sq(xhat - xn).sum(-1).mean();
        var sparsity = SparsityPenalty(z, pre, loss.SparsityCoefficient);
        var aux = UsesAuxK && loss.DeadMask is not null && loss.AuxK > 0 && loss.AuxCoefficient > 0
            ? AuxKLoss(xn, xhat, pre, loss.DeadMask, loss.AuxK, loss.AuxCoefficient)
            : zeros(new long[0], device: Device);
        var recon = NormScale == 1.0 ? xhat : xhat / S(NormScale);
        return new SaeOutput(recon, z, mse, sparsity, aux);
    }

    /// <summary>
    /// Aux-K (Gao et al., "Scaling and evaluating sparse autoencoders"): the top-k_aux dead latents reconstruct the
    /// main residual, giving dead features a gradient. No term when nothing is dead.
    /// </summary>
    public Tensor AuxKLoss(Tensor xn, Tensor xhat, Tensor pre, Tensor deadMask, int auxK, double coefficient)
    {
        long dead = deadMask.sum().item<long>();
        if (dead == 0) return zeros(new long[0], device: Device);
        int k = (int)Math.Min(auxK, dead);
        var residual = (xn - xhat).detach();
        var masked = pre.masked_fill(deadMask.logical_not(), S(double.NegativeInfinity));
        var (vals, idx) = masked.topk(k, dim: 1);
        vals = vals.relu();
        var zAux = zeros_like(pre).scatter(1, idx, vals);
        var rhat = zAux.matmul(W_dec);
        return Sq(rhat - residual).sum(-1).mean() * S(coefficient);
    }

    public void Dispose()
    {
        foreach (var (_, p) in _params) p.Dispose();
        foreach (var (_, b) in Buffers) b.Dispose();
        GC.SuppressFinalize(this);
    }
}
