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

    // Why: the last block but one, every token: the layer chosen before any per-layer measurement (issue 18 replaces it
    // with the one `analyze clip-layers` favours, quoting its figures here).
    public static Choice Current { get; } = new(blocks => blocks - 2, TokenSelection.All,
        "the last block but one, all tokens: chosen before the per-layer study (mminterp analyze clip-layers) measured the layers");
}
