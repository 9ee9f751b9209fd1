using static MMInterp.Kernels.Tensors.Scalars;
using MMInterp.Kernels.Sae.Fast;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// Dense ReLU SAE gradients by hand, no autograd. With xc = x - b_dec, pre = xc W_enc + b_enc, z = relu(pre),
/// x_hat = z W_dec + b_dec, L = mean_b ||x_hat - x||^2 + lambda mean_b sum_j z_j n_j (n_j = ||W_dec[j]||):
///   g = 2(x_hat - x)/B;  dW_dec = z^T g + (lambda/B) colsum(z)_j W_dec[j]/n_j;  db_dec = colsum(g) - W_enc colsum(dpre)
///   dz = g W_dec^T + lambda n/B;  dpre = dz * (z > 0);  dW_enc = xc^T dpre;  db_enc = colsum(dpre).
/// Five products (two forward, three backward) through <see cref="Gemm"/>; elementwise work fused in <see cref="DenseOps"/>.
/// Buffers of the [B, m] size are kept between steps to avoid re-allocating 134 MB twice per step. The same formulas run
/// on any device: the products and passes take their CPU fast paths only for CPU tensors (<see cref="FastPaths"/>).
/// </summary>
public sealed class ReluGradientKernel : IGradientKernel, IDisposable
{
    private Tensor? _z, _dz;

    private static Tensor Buffer(ref Tensor? t, long r, long c, Device device)
    {
        if (t is null || t.shape[0] != r || t.shape[1] != c || !t.OnDevice(device)) { t?.Dispose(); t = empty(r, c, device: device).DetachFromDisposeScope(); }
        return t;
    }

    public StepResult Compute(SparseAutoencoder sae, Tensor xn, SaeLossOptions loss, IReadOnlyDictionary<string, Tensor> grads, Tensor fireCounts)
    {
        // The formulas assume float32 (the parameters' dtype); other inputs take the autograd reference path.
        if (xn.dtype != ScalarType.Float32) return new AutogradKernel().Compute(sae, xn, loss, grads, fireCounts);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long B = xn.shape[0], m = sae.Config.DSae;
        var W_enc = sae.W_enc.detach(); var W_dec = sae.W_dec.detach();
        var b_enc = sae.b_enc.detach(); var b_dec = sae.b_dec.detach();
        double lambda = loss.SparsityCoefficient;

        var xc = sae.Config.PreEncoderBias ? (xn - b_dec) : xn.contiguous();
        var z = Buffer(ref _z, B, m, xn.device);
        Gemm.Mm(xc, false, W_enc, false, z);
        DenseOps.AddBiasRelu(z, b_enc);

        var xhat = b_dec.unsqueeze(0).expand(B, -1).contiguous();
        Gemm.Mm(z, false, W_dec, false, xhat, beta: 1f);
        var err = xhat.sub_(xn);                        // x_hat - x, in place
        double sse = Sq(err).sum().item<float>();
        var g = err.mul_(S(2.0 / B));                      // dL/dx_hat

        var norms = W_dec.norm(1);                      // [m]
        var dz = Buffer(ref _dz, B, m, xn.device);
        Gemm.Mm(g, false, W_dec, true, dz);

        var dbEnc = grads["b_enc"];
        var zSum = empty(m, device: xn.device);
        var fire = empty(m, device: xn.device);
        // d(L1)/dz = lambda n_j / B is added inside the masking pass rather than in a separate sweep over [B, m].
        DenseOps.ReluBackward(dz, z, lambda != 0 ? (norms * S(lambda / B)).contiguous() : null, dbEnc, zSum, fire);
        fireCounts.add_(fire);

        var dWdec = grads["W_dec"];
        Gemm.Mm(z, true, g, false, dWdec);
        if (lambda != 0) dWdec.add_(W_dec * (zSum * S(lambda / B) / norms).unsqueeze(1));
        Gemm.Mm(xc, true, dz, false, grads["W_enc"]);

        var dbDec = grads["b_dec"];
        dbDec.copy_(g.sum(dim: 0));
        if (sae.Config.PreEncoderBias) dbDec.sub_(W_enc.mv(dbEnc));

        double l1 = lambda == 0 ? 0 : lambda * (zSum * norms).sum().item<float>() / B;
        return new StepResult(sse / B, l1, 0);
    }

    public void Dispose() { _z?.Dispose(); _dz?.Dispose(); }
}
