namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>A transformer block a block ablation skips: its output hook is given what its input hook saw.</summary>
public sealed record SkippableBlock(string Name, string InputHook, string OutputHook);

/// <summary>One attention layer's heads: Kind "attn" (self) or "cross_attn", the index of its block in
/// <see cref="IZooDenoiser.Blocks"/>, its per-head output hook ([B, tokens, heads, dh]) and head count.</summary>
public sealed record AttentionSite(string Kind, int Block, string ZHook, int Heads);
