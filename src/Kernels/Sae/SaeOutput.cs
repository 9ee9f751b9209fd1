using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>
/// One forward pass. Reconstruction is in the caller's (un-normalised) space; the loss parts are computed in the
/// SAE's normalised space and are scalar tensors that carry autograd history when the inputs did.
/// Total = Mse + Sparsity + Aux.
/// </summary>
public sealed record SaeOutput(Tensor Reconstruction, Tensor Latents, Tensor Mse, Tensor Sparsity, Tensor Aux)
{
    public Tensor Total => Mse + Sparsity + Aux;
}

/// <summary>What the loss needs besides the batch: the current sparsity coefficient and the dead-feature terms.</summary>
public sealed record SaeLossOptions(double SparsityCoefficient, Tensor? DeadMask = null, int AuxK = 0, double AuxCoefficient = 0);
