namespace MMInterp.Kernels.Images;

/// <summary>
/// PIL's bicubic resize of 8-bit images (Pillow's Resample.c, what <c>Image.resize(size, BICUBIC)</c> does and so what
/// torchvision's Resize on PIL images, OpenAI's clip.py and HF's CLIPImageProcessor do): separable, horizontal pass
/// then vertical pass, each rounded to uint8; the kernel support grows with the downscale factor (antialiasing);
/// cubic with a = -0.5; weights normalised per output pixel, then turned into 22-bit fixed point and accumulated in
/// integers with PIL's rounding and clipping. SkiaSharp's own filters differ from this, hence our own.
/// </summary>
public static class PilResampler
{
    const int PrecisionBits = 32 - 8 - 2;
    const double Support = 2.0;

    static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /// <summary>Resizes to exactly <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static RgbImage ResizeBicubic(RgbImage image, int width, int height)
    {
        if (width < 1 || height < 1) throw new ArgumentException($"resize target must be positive, got {width}x{height}");
        if (width == image.Width && height == image.Height) return image; // PIL returns a copy; ours are not mutated
        var (vBounds, vKernel, vSize) = Coefficients(image.Height, height);
        var current = image;
        if (width != image.Width)
        {
            // Only the source rows the vertical pass reads are resampled horizontally (as PIL does).
            var first = vBounds[0];
            var last = vBounds[(height - 1) * 2] + vBounds[(height - 1) * 2 + 1];
            current = Horizontal(image, width, first, last);
            for (var i = 0; i < height; i++) vBounds[i * 2] -= first;
        }
        if (height != image.Height) current = Vertical(current, height, vBounds, vKernel, vSize);
        return current;
    }

    /// <summary>PIL's precompute_coeffs + normalize_coeffs_8bpc: per output pixel, first input index, count, and weights.</summary>
    static (int[] Bounds, int[] Kernel, int KSize) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = Support * filterScale;
        var kSize = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[outSize * 2];
        var kernel = new int[outSize * kSize];
        var weights = new double[kSize];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var ss = 1.0 / filterScale;
            var xmin = Math.Max((int)(center - support + 0.5), 0);
            var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double ww = 0;
            for (var x = 0; x < xmax; x++)
            {
                var w = Bicubic((x + xmin - center + 0.5) * ss);
                weights[x] = w;
                ww += w;
            }
            for (var x = 0; x < xmax; x++)
            {
                var w = ww != 0.0 ? weights[x] / ww : weights[x];
                kernel[xx * kSize + x] = w < 0 ? (int)(-0.5 + w * (1 << PrecisionBits)) : (int)(0.5 + w * (1 << PrecisionBits));
            }
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return (bounds, kernel, kSize);
    }

    static byte Clip8(int v) => v >= (1 << PrecisionBits << 8) ? (byte)255 : v <= 0 ? (byte)0 : (byte)(v >> PrecisionBits);

    static RgbImage Horizontal(RgbImage src, int outWidth, int firstRow, int lastRow)
    {
        var (bounds, kernel, kSize) = Coefficients(src.Width, outWidth);
        var rows = lastRow - firstRow;
        var outPixels = new byte[(long)outWidth * rows * 3];
        var p = src.Pixels;
        Parallel.For(0, rows, y =>
        {
            long inRow = (long)(y + firstRow) * src.Width * 3, outRow = (long)y * outWidth * 3;
            for (var xx = 0; xx < outWidth; xx++)
            {
                int xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1], k = xx * kSize;
                int r = 1 << (PrecisionBits - 1), g = r, b = r;
                for (var x = 0; x < xmax; x++)
                {
                    var w = kernel[k + x];
                    var at = inRow + (long)(x + xmin) * 3;
                    r += p[at] * w;
                    g += p[at + 1] * w;
                    b += p[at + 2] * w;
                }
                var o = outRow + xx * 3L;
                outPixels[o] = Clip8(r);
                outPixels[o + 1] = Clip8(g);
                outPixels[o + 2] = Clip8(b);
            }
        });
        return new RgbImage(outWidth, rows, outPixels);
    }

    static RgbImage Vertical(RgbImage src, int outHeight, int[] bounds, int[] kernel, int kSize)
    {
        var width = src.Width;
        var outPixels = new byte[(long)width * outHeight * 3];
        var p = src.Pixels;
        var rowBytes = (long)width * 3;
        Parallel.For(0, outHeight, yy =>
        {
            int ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1], k = yy * kSize;
            var outRow = yy * rowBytes;
            for (long c = 0; c < rowBytes; c++)
            {
                var s = 1 << (PrecisionBits - 1);
                for (var y = 0; y < ymax; y++) s += p[(y + ymin) * rowBytes + c] * kernel[k + y];
                outPixels[outRow + c] = Clip8(s);
            }
        });
        return new RgbImage(width, outHeight, outPixels);
    }
}
