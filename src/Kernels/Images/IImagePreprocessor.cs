using static TorchSharp.torch;

namespace MMInterp.Kernels.Images;

/// <summary>Turns decoded images into the pixel tensor a vision tower reads, as its checkpoint's
/// preprocessor_config.json says (resize, centre crop, rescale, normalise).</summary>
public interface IImagePreprocessor
{
    /// <summary>Side of the square the tower reads.</summary>
    int OutputSize { get; }

    /// <summary>[B, 3, OutputSize, OutputSize] float32 on the CPU; the caller owns it.</summary>
    Tensor ToPixels(IReadOnlyList<RgbImage> images);
}
