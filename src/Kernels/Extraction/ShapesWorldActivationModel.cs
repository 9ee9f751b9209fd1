using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A model that reads ShapesWorld images at its vision tower's size and offers every point of its one hook registry.
/// CLIP and VLM models differ only in their family name and in the extractor that runs their forward pass.
/// </summary>
public abstract class ShapesWorldActivationModel<TModel>(TModel model, HookRegistry registry, int imageSize) : IActivationModel
    where TModel : nn.Module
{
    /// <summary>Scenes rendered at the size the model was trained on.</summary>
    protected ShapesWorldGenerator World { get; } = new(new ShapesWorldConfig { ImageSize = imageSize });

    public TModel Model { get; } = model;
    public abstract string Family { get; }
    public IReadOnlyList<string> HookNames => registry.Names.Order(StringComparer.Ordinal).ToList();
    public long ParameterCount => Model.parameters().Sum(p => p.numel());

    public abstract Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks);

    public void Dispose() => Model.Dispose();
}
