using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.ShapesWorld;

/// <summary>A batch of scenes as tensors. Per-object labels are [B, MaxObjects] int64 with -1 where an image has
/// fewer objects; object k of image b is the pixels where Mask[b] == k+1.</summary>
public sealed class ShapesBatch : IDisposable
{
    public required IReadOnlyList<Scene> Scenes { get; init; }
    /// <summary>[B, 3, H, W] float32 in [0, 1].</summary>
    public required Tensor Images { get; init; }
    /// <summary>[B, H, W] int64: 0 background, k+1 object k, -1 overlaid word.</summary>
    public required Tensor Mask { get; init; }
    /// <summary>attribute -> [B, MaxObjects] int64, -1 where absent.</summary>
    public required IReadOnlyDictionary<ObjectAttribute, Tensor> Labels { get; init; }
    /// <summary>[B] int64.</summary>
    public required Tensor ObjectCount { get; init; }
    /// <summary>[B] int64 (0 black, 1 grey).</summary>
    public required Tensor Background { get; init; }
    /// <summary>[B] int64: which attribute the word names (ObjectAttribute), -1 when no word.</summary>
    public required Tensor OverlayAttribute { get; init; }
    /// <summary>[B] int64: the value the word names, -1 when no word.</summary>
    public required Tensor OverlayValue { get; init; }
    /// <summary>[B] bool: the word is wrong.</summary>
    public required Tensor OverlayAttack { get; init; }

    public int Count => Scenes.Count;
    public IEnumerable<string> Captions => Scenes.Select(s => s.Caption);

    /// <summary>Label of the first object: the usual target for single-object analyses. [B] int64.</summary>
    public Tensor FirstObject(ObjectAttribute attribute) => Labels[attribute].select(1, 0);

    public void Dispose()
    {
        Images.Dispose(); Mask.Dispose(); ObjectCount.Dispose(); Background.Dispose();
        OverlayAttribute.Dispose(); OverlayValue.Dispose(); OverlayAttack.Dispose();
        foreach (var t in Labels.Values) t.Dispose();
    }
}
