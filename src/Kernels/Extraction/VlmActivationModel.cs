using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>A VLM's vision tower, adapter and LM over ShapesWorld images (<see cref="VlmActivationExtractor"/>).</summary>
public sealed class VlmActivationModel(VlmModel model) : IActivationModel
{
    readonly ShapesWorldGenerator _world = new(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize });

    public VlmModel Model { get; } = model;
    public string Family => "vlm";
    public IReadOnlyList<string> HookNames => Model.Hooks.Names.Order(StringComparer.Ordinal).ToList();
    public long ParameterCount => Model.parameters().Sum(p => p.numel());

    public Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks) =>
        VlmActivationExtractor.Extract(Model, _world, seed, start, count, hooks);

    public void Dispose() => Model.Dispose();
}
