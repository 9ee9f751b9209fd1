using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>
/// Which patches of the tower's grid hold a user's object: the box or mask is carried through the image processor's
/// resize (scale per axis) and centre crop (offset) to the pixels the tower reads; a patch holds the object when it
/// overlaps the box, or holds at least one mask pixel. Null when the object falls outside the crop.
/// </summary>
public static class ObjectPatchGrid
{
    /// <summary>The processor's geometry for an image: resized size and the crop's top-left in resized pixels.</summary>
    static (double ScaleX, double ScaleY, int Left, int Top, int Size) Geometry(ClipImageProcessor processor, int width, int height)
    {
        var c = processor.Config;
        var (h, w) = c.DoResize ? ClipImageProcessor.ResizedSize(height, width, c.Size) : (height, width);
        var (top, left) = (0, 0);
        if (c.DoCenterCrop)
        {
            top = h >= c.CropSize.Height ? (int)Math.Round((h - c.CropSize.Height) / 2.0, MidpointRounding.ToEven) : -((c.CropSize.Height - h) / 2);
            left = w >= c.CropSize.Width ? (int)Math.Round((w - c.CropSize.Width) / 2.0, MidpointRounding.ToEven) : -((c.CropSize.Width - w) / 2);
        }
        return ((double)w / width, (double)h / height, left, top, processor.OutputSize);
    }

    /// <summary>[side*side] row-major: patch overlaps the box [x0, y0, x1, y1] (original pixels).</summary>
    public static bool[]? FromBox(double[] box, int width, int height, ClipImageProcessor processor, int patchSize)
    {
        var (sx, sy, left, top, size) = Geometry(processor, width, height);
        var (x0, y0, x1, y1) = (box[0] * sx - left, box[1] * sy - top, box[2] * sx - left, box[3] * sy - top);
        var side = size / patchSize;
        var grid = new bool[side * side];
        for (var r = 0; r < side; r++)
        for (var c = 0; c < side; c++)
            grid[r * side + c] = Math.Min(x1, (c + 1) * patchSize) > Math.Max(x0, c * patchSize) && Math.Min(y1, (r + 1) * patchSize) > Math.Max(y0, r * patchSize);
        return grid.Any(x => x) ? grid : null;
    }

    /// <summary>[side*side] row-major: patch holds a mask pixel (each tower pixel takes its nearest source pixel).</summary>
    public static bool[]? FromMask(bool[] mask, int width, int height, ClipImageProcessor processor, int patchSize)
    {
        var (sx, sy, left, top, size) = Geometry(processor, width, height);
        var side = size / patchSize;
        var grid = new bool[side * side];
        for (var y = 0; y < size; y++)
        {
            var srcY = (int)Math.Floor((y + top + 0.5) / sy);
            if (srcY < 0 || srcY >= height) continue;
            for (var x = 0; x < size; x++)
            {
                var srcX = (int)Math.Floor((x + left + 0.5) / sx);
                if (srcX >= 0 && srcX < width && mask[srcY * width + srcX]) grid[y / patchSize * side + x / patchSize] = true;
            }
        }
        return grid.Any(x => x) ? grid : null;
    }
}
