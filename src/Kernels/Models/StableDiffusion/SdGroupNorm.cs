using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>GroupNorm with its affine weights set to PyTorch's initial values (weight 1, bias 0). TorchSharp 0.107's
/// nn.GroupNorm leaves them uninitialised (a fresh model read NaN from them), which a loaded checkpoint hides but a
/// model built to be trained or saved does not.</summary>
public static class SdGroupNorm
{
    public static GroupNorm Create(int groups, int channels, double eps)
    {
        var norm = nn.GroupNorm(groups, channels, eps);
        using (no_grad())
        {
            // A held Scalar: an implicit one can be freed by a GC mid-call (infra/scripts/test.sh), filling garbage.
            using var one = 1.0.ToScalar();
            norm.weight!.fill_(one);
            norm.bias!.zero_();
        }
        return norm;
    }
}
