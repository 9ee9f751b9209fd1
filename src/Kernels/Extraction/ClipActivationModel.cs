using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>A CLIP's vision tower over ShapesWorld images (<see cref="ClipActivationExtractor"/>).</summary>
public sealed class ClipActivationModel(ClipModel model)
    : ShapesWorldActivationModel<ClipModel>(model, model.Hooks, model.Config.Vision.ImageSize)
{
    public override string Family => "clip";

    public override Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks) =>
        ClipActivationExtractor.Extract(Model, World, seed, start, count, hooks);
}
