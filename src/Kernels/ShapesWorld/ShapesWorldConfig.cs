namespace MMInterp.Kernels.ShapesWorld;

/// <summary>How scenes are drawn. Validated at construction so a bad value fails where it was typed.</summary>
public sealed record ShapesWorldConfig
{
    public int ImageSize { get; init; } = 32;
    public int MinObjects { get; init; } = 1;
    public int MaxObjects { get; init; } = 2;
    /// <summary>Share of images that carry a word.</summary>
    public double OverlayRate { get; init; } = 0.0;
    /// <summary>Share of overlaid words that are wrong (typographic attacks).</summary>
    public double AttackRate { get; init; } = 0.0;

    public static ShapesWorldConfig Default { get; } = new();

    /// <summary>One object per scene: the world the diffusion models are trained, prompted and scored on.</summary>
    public static ShapesWorldConfig SingleObject(int imageSize) => new() { ImageSize = imageSize, MinObjects = 1, MaxObjects = 1 };

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public ShapesWorldConfig Validate()
    {
        if (ImageSize < 16 || ImageSize > 512) throw new ArgumentException($"ImageSize must be in [16, 512], got {ImageSize}", nameof(ImageSize));
        if (MinObjects < 1 || MinObjects > 2) throw new ArgumentException($"MinObjects must be 1 or 2, got {MinObjects}", nameof(MinObjects));
        if (MaxObjects < MinObjects || MaxObjects > 2) throw new ArgumentException($"MaxObjects must be in [MinObjects, 2], got {MaxObjects}", nameof(MaxObjects));
        if (!(OverlayRate >= 0 && OverlayRate <= 1)) throw new ArgumentException($"OverlayRate must be in [0, 1], got {OverlayRate}", nameof(OverlayRate));
        if (!(AttackRate >= 0 && AttackRate <= 1)) throw new ArgumentException($"AttackRate must be in [0, 1], got {AttackRate}", nameof(AttackRate));
        return this;
    }
}
