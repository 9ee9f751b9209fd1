using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Interp.DataStudy;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Interp.DataStudy;

/// <summary>A user's dataset as the study sees it, made of single-object ShapesWorld scenes decoded to RGB bytes and
/// labelled by their object's colour (or unlabelled); the items listed in <paramref name="broken"/> fail to decode as
/// a corrupt file would.</summary>
internal sealed class ShapesImageDataset(int count, int imageSize, bool labelled, IReadOnlySet<int>? broken = null, long seed = 404) : IImageDataset
{
    readonly ShapesWorldGenerator _world = new(new ShapesWorldConfig { ImageSize = imageSize, MinObjects = 1, MaxObjects = 1 });

    public string Name => labelled ? "shapes-colours" : "shapes-unlabelled";

    public IReadOnlyList<ImageItem> Items => field ??= Enumerable.Range(0, count)
        .Select(i => new ImageItem(i, $"scenes/{i:D4}.png", null, labelled ? _world.Scene(seed, i).Objects[0].Value(ObjectAttribute.Colour) : null)).ToList();

    public IReadOnlyList<string> LabelNames => labelled ? AttributeWords.Colours : [];

    public RgbImage Decode(int index)
    {
        if (broken?.Contains(index) == true) throw new ImageDecodeException(Items[index].Key, "not a PNG file (bad signature)");
        var (planar, _) = _world.Render(_world.Scene(seed, index));
        var n = imageSize * imageSize;
        var rgb = new byte[3 * n];
        for (var i = 0; i < n; i++)
            for (var c = 0; c < 3; c++) rgb[3 * i + c] = (byte)Math.Clamp(MathF.Round(planar[c * n + i] * 255f), 0, 255);
        return new RgbImage(imageSize, imageSize, rgb);
    }
}

/// <summary>The zoo CLIP's own preprocessing: the centre square at the model's size, RGB in [0, 1], no normalisation.</summary>
internal sealed class UnitPreprocessor(int size) : IImagePreprocessor
{
    public int OutputSize => size;

    public Tensor ToPixels(IReadOnlyList<RgbImage> images)
    {
        var data = images.SelectMany(i => RgbBitmaps.CentreThumbnail(i, size)).ToArray();
        return tensor(data, [images.Count, 3, size, size]);
    }
}
