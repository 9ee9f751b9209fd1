using System.Globalization;
using MMInterp.Kernels.Extraction;

namespace MMInterp.Client.Commands;

/// <summary>Where the ShapesWorld quickstart reads the zoo CLIP (the hook its SAE is trained on) and which tokens of
/// each image count, with the reason, in one place: the per-layer study (`mminterp analyze clip-layers`) measures every
/// block and the pooled output, and moving the quickstart to the layer it favours is an edit here.</summary>
static class QuickstartLayer
{
    /// <param name="Block">the block whose resid_post is read, from the tower's block count; null: the pooled output</param>
    /// <param name="Why">printed and written into the report beside the hook</param>
    public sealed record Choice(Func<int, int?> Block, TokenSelection Tokens, string Why)
    {
        public string Hook(int blocks) => Block(blocks) is { } b
            ? string.Create(CultureInfo.InvariantCulture, $"vision.blocks.{b}.hook_resid_post")
            : Kernels.Models.Clip.ClipVisionTransformer.PooledHook;
    }

    // Why, measured by `analyze clip-layers` on the shipped zoo CLIP (clip-zoo/4; bench/RESULTS.md, "The CLIP study by
    // layer"): with every token, block 0 is the only layer where both the steerable share (0.188 vs 0.083 for random
    // directions) and the typographic defence (0.128 of the attack drop regained vs 0.007 for random features) clearly
    // beat their controls; block 2 recovers more concepts (0.289 vs 0.184) but its features barely steer (0.021) or
    // defend (0.011). Class-token-only and pooled-output SAEs beat no control but the free labels' (few detectors).
    public static Choice Current { get; } = new(_ => 0, TokenSelection.All,
        "block 0, all tokens: of the layers `analyze clip-layers` measured on this CLIP, the one where steering (0.19 vs 0.08 random) "
        + "and the typographic defence (0.13 vs 0.01 random features) beat their controls; block 2 recovers more concepts (0.29 vs 0.18) but neither steers nor defends");
}
