using MMInterp.Kernels.Models.Vlm;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>A VLM's vision tower, adapter and LM over ShapesWorld images (<see cref="VlmActivationExtractor"/>).</summary>
public sealed class VlmActivationModel(VlmModel model)
    : ShapesWorldActivationModel<VlmModel>(model, model.Hooks, model.Config.Vision.ImageSize)
{
    public override string Family => "vlm";

    public override Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks) =>
        VlmActivationExtractor.Extract(Model, World, seed, start, count, hooks);
}
