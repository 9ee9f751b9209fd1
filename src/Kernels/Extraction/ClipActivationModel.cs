using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>A CLIP's vision tower over ShapesWorld images (<see cref="ClipActivationExtractor"/>).</summary>
public sealed class ClipActivationModel(ClipModel model) : IActivationModel
{
    readonly ShapesWorldGenerator _world = new(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize });

    public ClipModel Model { get; } = model;
    public string Family => "clip";
    public IReadOnlyList<string> HookNames => Model.Hooks.Names.Order(StringComparer.Ordinal).ToList();
    public long ParameterCount => Model.parameters().Sum(p => p.numel());

    public Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks) =>
        ClipActivationExtractor.Extract(Model, _world, seed, start, count, hooks);

    public void Dispose() => Model.Dispose();
}
