using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>What every SAE variant offers. Inputs and reconstructions are in the caller's space; input
/// normalisation (when configured) happens inside.</summary>
public interface ISparseAutoencoder : IDisposable
{
    SaeConfig Config { get; }
    /// <summary>Factor multiplied into inputs before encoding (1 when normalisation is off).</summary>
    double NormScale { get; }
    Device Device { get; }
    /// <summary>Latents [B, m] at inference (TopK: top k; BatchTopK/JumpReLU: learned threshold).</summary>
    Tensor Encode(Tensor x);
    /// <summary>Reconstruction [B, d] in the caller's space from latents [B, m].</summary>
    Tensor Decode(Tensor z);
    /// <summary>Training forward: reconstruction, latents and the loss parts (autograd-capable).</summary>
    SaeOutput Forward(Tensor x, SaeLossOptions loss);
    /// <summary>Trainable parameters by SAELens name (W_enc [d,m], b_enc [m], W_dec [m,d], b_dec [d], log_threshold [m]).</summary>
    IReadOnlyList<(string Name, Tensor Param)> Parameters { get; }
}
