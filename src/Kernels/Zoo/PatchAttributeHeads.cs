using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>Linear read-outs of shape and colour from the LM's image tokens, trained beside the VLM (not part of it): a
/// dense signal that teaches the LM's first blocks to gather each object's shape into its patches, which the answer
/// to "what colour is the circle?" needs on two-object scenes.</summary>
public sealed class PatchAttributeHeads : nn.Module
{
    readonly Linear _shape, _colour;
    readonly Linear? _fill;

    /// <param name="fill">a third read-out, of the object's fill (drawn after the other two, so their weights do not move)</param>
    public PatchAttributeHeads(int width, bool fill = false) : base("patch_attributes")
    {
        register_module("shape", _shape = nn.Linear(width, AttributeWords.Shapes.Length));
        register_module("colour", _colour = nn.Linear(width, AttributeWords.Colours.Length));
        if (fill) register_module("fill", _fill = nn.Linear(width, AttributeWords.Fills.Length));
    }

    public bool HasFill => _fill is not null;

    /// <summary>As the two-read-out loss, plus the fill read-out's cross-entropy when there is one.</summary>
    public Tensor Loss(Tensor tokens, Tensor shapeLabels, Tensor colourLabels, Tensor? fillLabels)
    {
        var loss = Loss(tokens, shapeLabels, colourLabels);
        if (_fill is null) return loss;
        if (fillLabels is null) throw new ArgumentException("the fill read-out needs fill labels", nameof(fillLabels));
        return loss + nn.functional.cross_entropy(_fill.forward(tokens.reshape(-1, tokens.shape[2])), fillLabels.reshape(-1), ignore_index: PatchAttributes.None);
    }

    /// <summary>Mean cross-entropy of both read-outs over the covered patches. tokens [B, P, D]; labels [B, P].</summary>
    public Tensor Loss(Tensor tokens, Tensor shapeLabels, Tensor colourLabels)
    {
        var flat = tokens.reshape(-1, tokens.shape[2]);
        return nn.functional.cross_entropy(_shape.forward(flat), shapeLabels.reshape(-1), ignore_index: PatchAttributes.None)
            + nn.functional.cross_entropy(_colour.forward(flat), colourLabels.reshape(-1), ignore_index: PatchAttributes.None);
    }
}
