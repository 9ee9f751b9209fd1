namespace MMInterp.Kernels.Plots;

/// <summary>
/// A heat map in [0, 1] laid over an image. Each heat cell covers a square of pixels (a patch, or a single pixel), and
/// a paint turns its value into a colour composited over those pixels. The paint is each figure's own choice.
/// </summary>
public static class HeatOverlay
{
    /// <summary>A colour (RGB in [0, 1]) and how much of the image it covers (0: none, 1: all).</summary>
    public readonly record struct Paint(float R, float G, float B, float Opacity);

    /// <summary>Red where hot, dark blue where cold, over a dimmed image: the map's shape reads at a glance even when
    /// the image is busy (diffusion cross-attention).</summary>
    public static Paint RedOverBlue(float heat) => new(heat, 0.3f * heat, 0.4f * (1 - heat), 0.65f);

    /// <summary>Cold cells darkened, hot ones left clear: the image keeps its own colours where the map is hot, which
    /// matters when colour is what a feature responds to (a feature's top examples).</summary>
    public static Paint DimCold(float heat) => new(0, 0, 0, 170 / 255f * (1 - heat));

    /// <summary>The image with <paramref name="heat"/> painted over it.</summary>
    /// <param name="image">planar RGB [3*size*size] in [0, 1]</param>
    /// <param name="heat">[side*side] row by row, clamped to [0, 1]; side = size for a per-pixel map, or the patches per side</param>
    public static float[] Blend(float[] image, int size, float[] heat, int side, Func<float, Paint> paint)
    {
        var n = size * size;
        if (image.Length != 3 * n) throw new ArgumentException($"image must hold 3x{size}x{size} values, got {image.Length}", nameof(image));
        if (side < 1 || size % side != 0 || heat.Length != side * side)
            throw new ArgumentException($"a heat map of {heat.Length} cells, {side} per side, does not tile a {size}px image", nameof(heat));
        var cell = size / side;
        var result = new float[3 * n];
        for (var y = 0; y < size; y++)
        for (var x = 0; x < size; x++)
        {
            var i = y * size + x;
            var p = paint(Math.Clamp(heat[y / cell * side + x / cell], 0f, 1f));
            result[i] = (1 - p.Opacity) * image[i] + p.Opacity * p.R;
            result[n + i] = (1 - p.Opacity) * image[n + i] + p.Opacity * p.G;
            result[2 * n + i] = (1 - p.Opacity) * image[2 * n + i] + p.Opacity * p.B;
        }
        return result;
    }
}
