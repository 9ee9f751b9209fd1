using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Prompts to the text states a denoiser cross-attends to: the zoo's frozen CLIP text tower
/// (<see cref="TextConditioner"/>) or a diffusers pipeline's text encoder.</summary>
public interface IPromptEncoder
{
    /// <summary>Where the encoder's weights (and so the denoiser's inputs) live.</summary>
    Device Device { get; }

    /// <summary>Token and pooled states of the prompts, without gradients; "" is the null prompt guidance contrasts against.</summary>
    TextCondition Encode(IReadOnlyList<string> captions, Device? device = null);

    /// <summary>The words of one caption's tokens up to the end marker ("SOT", words, "EOT"), to label cross-attention maps.</summary>
    IReadOnlyList<string> TokenWords(string caption);
}
