using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.ShapesWorld;

/// <summary>Entry point: scenes and tensor batches for (seed, index range). A split is a seed: train on one,
/// evaluate on another.</summary>
public sealed class ShapesWorldGenerator
{
    readonly SceneSampler _sampler;
    readonly SceneRenderer _renderer;

    public ShapesWorldGenerator(ShapesWorldConfig? config = null)
    {
        Config = (config ?? ShapesWorldConfig.Default).Validate();
        _sampler = new SceneSampler(Config);
        _renderer = new SceneRenderer(Config);
    }

    public ShapesWorldConfig Config { get; }

    public Scene Scene(long seed, long index) => _sampler.Sample(seed, index);

    /// <summary>Renders one scene: planar RGB [3*H*W] and mask [H*W].</summary>
    public (float[] Rgb, long[] Mask) Render(Scene scene)
    {
        var n = Config.ImageSize * Config.ImageSize;
        var rgb = new float[3 * n];
        var mask = new long[n];
        _renderer.Render(scene, rgb, mask);
        return (rgb, mask);
    }

    /// <summary>Scenes seed/start .. seed/start+count-1 as tensors on the given device (CPU by default).</summary>
    public ShapesBatch Batch(long seed, long start, int count, Device? device = null) =>
        Batch(Enumerable.Range(0, count).Select(i => Scene(seed, start + i)).ToList(), device);

    public ShapesBatch Batch(IReadOnlyList<Scene> scenes, Device? device = null)
    {
        if (scenes.Count == 0) throw new ArgumentException("a batch needs at least one scene", nameof(scenes));
        var b = scenes.Count;
        var s = Config.ImageSize;
        var n = s * s;
        var maxObjects = Config.MaxObjects;
        var rgb = new float[b * 3 * n];
        var mask = new long[b * n];
        Parallel.For(0, b, i => _renderer.Render(scenes[i], rgb.AsSpan(i * 3 * n, 3 * n), mask.AsSpan(i * n, n)));

        var labels = new Dictionary<ObjectAttribute, Tensor>();
        foreach (var attribute in Enum.GetValues<ObjectAttribute>())
        {
            var values = new long[b * maxObjects];
            Array.Fill(values, -1);
            for (var i = 0; i < b; i++)
                for (var k = 0; k < scenes[i].Objects.Count && k < maxObjects; k++)
                    values[i * maxObjects + k] = scenes[i].Objects[k].Value(attribute);
            labels[attribute] = tensor(values, [b, maxObjects], device: device);
        }
        var dev = device ?? CPU;
        return new ShapesBatch
        {
            Scenes = scenes,
            Images = tensor(rgb, [b, 3, s, s], device: dev),
            Mask = tensor(mask, [b, s, s], device: dev),
            Labels = labels,
            ObjectCount = tensor(scenes.Select(x => (long)x.Objects.Count).ToArray(), device: dev),
            Background = tensor(scenes.Select(x => (long)x.Background).ToArray(), device: dev),
            OverlayAttribute = tensor(scenes.Select(x => x.Overlay is null ? -1L : (long)x.Overlay.Attribute).ToArray(), device: dev),
            OverlayValue = tensor(scenes.Select(x => x.Overlay is null ? -1L : x.Overlay.Value).ToArray(), device: dev),
            OverlayAttack = tensor(scenes.Select(x => x.Overlay?.IsAttack ?? false).ToArray(), device: dev),
        };
    }
}
