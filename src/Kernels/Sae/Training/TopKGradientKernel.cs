using static MMInterp.Kernels.Tensors.Scalars;
using MMInterp.Kernels.Sae.Fast;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// TopK SAE gradients by hand with a sparse decode: only the encoder product is dense. With (v, idx) = topk(pre, k),
/// v = relu(v), x_hat = b_dec + sum_i v_i W_dec[idx_i]:
///   g = 2(x_hat - x)/B;  dv_i = (g . W_dec[idx_i]) [v_i > 0];  dW_dec[idx_i] += v_i g;  dW_enc[:, idx_i] += dv_i xc;
///   db_enc[idx_i] += dv_i;  db_dec = colsum(g) - W_enc db_enc.
/// The sparse encoder gradient is accumulated transposed ([m, d], contiguous rows) and transposed once.
/// Steps that need the aux-K term (dead features present) use the autograd path. The same formulas run on any device:
/// the gathers and scatters take their CPU loops only for CPU tensors (<see cref="FastPaths"/>).
/// </summary>
public sealed class TopKGradientKernel : IGradientKernel, IDisposable
{
    private Tensor? _pre;

    public StepResult Compute(SparseAutoencoder sae, Tensor xn, SaeLossOptions loss, IReadOnlyDictionary<string, Tensor> grads, Tensor fireCounts)
    {
        bool needsAux = loss.DeadMask is not null && loss.AuxK > 0 && loss.AuxCoefficient > 0 && loss.DeadMask.any().item<bool>();
        if (needsAux || xn.dtype != ScalarType.Float32) return new AutogradKernel().Compute(sae, xn, loss, grads, fireCounts);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long B = xn.shape[0], m = sae.Config.DSae;
        var W_enc = sae.W_enc.detach(); var W_dec = sae.W_dec.detach();
        var b_enc = sae.b_enc.detach(); var b_dec = sae.b_dec.detach();

        var xc = sae.Config.PreEncoderBias ? (xn - b_dec) : xn.contiguous();
        if (_pre is null || _pre.shape[0] != B || _pre.shape[1] != m || !_pre.OnDevice(xn.device)) { _pre?.Dispose(); _pre = empty(B, m, device: xn.device).DetachFromDisposeScope(); }
        var pre = b_enc.unsqueeze(0).expand(B, m);
        _pre.copy_(pre);
        Gemm.Mm(xc, false, W_enc, false, _pre, beta: 1f);
        var (vals, idx) = _pre.topk(sae.Config.K, dim: 1);
        vals = vals.relu_().contiguous();
        idx = idx.contiguous();

        var xhat = SparseOps.Decode(W_dec, idx, vals, b_dec);
        var err = xhat.sub_(xn);
        double sse = Sq(err).sum().item<float>();
        var g = err.mul_(S(2.0 / B));

        var dv = SparseOps.GatherDots(W_dec, idx, g);
        dv.mul_(vals > S(0));

        var dWdec = grads["W_dec"].zero_();
        SparseOps.ScatterAddRows(dWdec, idx, vals, g);
        var dWencT = zeros(m, sae.Config.DIn, device: xn.device);
        SparseOps.ScatterAddRows(dWencT, idx, dv, xc);
        grads["W_enc"].copy_(dWencT.t());

        var flatIdx = idx.flatten();
        var dbEnc = grads["b_enc"].zero_();
        dbEnc.index_add_(0, flatIdx, dv.flatten(), S(1));
        var dbDec = grads["b_dec"];
        dbDec.copy_(g.sum(dim: 0));
        if (sae.Config.PreEncoderBias) dbDec.sub_(W_enc.mv(dbEnc));
        fireCounts.index_add_(0, flatIdx, (vals > S(0)).to_type(ScalarType.Float32).flatten(), S(1));
        return new StepResult(sse / B, 0, 0);
    }

    public void Dispose() => _pre?.Dispose();
}
