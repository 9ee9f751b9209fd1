using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A registered model of any family, as extraction sees it: which hook names it offers and how to run it over a range
/// of ShapesWorld images. Each hook's activations come back as rows, [images * tokens, d]; every token is an SAE
/// example. Implementations validate hook names before any forward pass.
/// </summary>
public interface IActivationModel : IDisposable
{
    /// <summary>clip, vlm or diffusion (the registry's family name).</summary>
    string Family { get; }

    /// <summary>The hook names a user may extract (for diffusion, key templates such as "hook@t=T[@c=caption|half]").</summary>
    IReadOnlyList<string> HookNames { get; }

    long ParameterCount { get; }

    /// <summary>Images <paramref name="start"/> .. start+count-1 of the ShapesWorld split with <paramref name="seed"/>.</summary>
    Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks);

    /// <summary>The same keeping only the <paramref name="tokens"/> of each image (<see cref="TokenSelection"/>); a family
    /// without a class token (VLM, diffusion) takes all tokens only.</summary>
    Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks, TokenSelection tokens) =>
        tokens == TokenSelection.All ? Extract(seed, start, count, hooks)
            : throw new ArgumentException($"tokens '{tokens.Name()}' applies to CLIP vision hooks; a {Family} model extracts all tokens");

    /// <summary>The same with a user's prompts as the text of captioned rows (<see cref="UserPrompts"/>; row i reads
    /// prompt i mod count); only a text-to-image model reads text with its images.</summary>
    Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks, TokenSelection tokens, IReadOnlyList<string>? prompts) =>
        prompts is null ? Extract(seed, start, count, hooks, tokens)
            : throw new ArgumentException($"prompts caption a diffusion model's rows; a {Family} model reads images only");
}
