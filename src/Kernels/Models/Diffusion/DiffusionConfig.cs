namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>Shape of the tiny diffusion transformer (DiT): patches of a pixel image, adaLN timestep conditioning,
/// cross-attention to a text encoder's token states.</summary>
public sealed record DitConfig
{
    public int ImageSize { get; init; } = 32;
    public int PatchSize { get; init; } = 4;
    public int Channels { get; init; } = 3;
    public int Width { get; init; } = 64;
    public int Layers { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int MlpRatio { get; init; } = 4;
    /// <summary>Width of the text encoder's token states (the CLIP text tower's hidden size).</summary>
    public int TextWidth { get; init; } = 64;

    public int PatchesPerSide => ImageSize / PatchSize;
    public int Tokens => PatchesPerSide * PatchesPerSide;
    public int HeadDim => Width / Heads;

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public DitConfig Validate()
    {
        static void Check(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{field} {rule}, got {value}", field);
        }
        Check(ImageSize >= 8, nameof(ImageSize), ImageSize, "must be at least 8");
        Check(PatchSize >= 1 && ImageSize % PatchSize == 0, nameof(PatchSize), PatchSize, $"must divide ImageSize {ImageSize}");
        Check(Channels >= 1, nameof(Channels), Channels, "must be positive");
        Check(Heads >= 1 && Width % Heads == 0, nameof(Width), Width, $"must be a positive multiple of Heads {Heads}");
        Check(Layers >= 1, nameof(Layers), Layers, "must be at least 1");
        Check(MlpRatio >= 1, nameof(MlpRatio), MlpRatio, "must be at least 1");
        Check(TextWidth >= 1, nameof(TextWidth), TextWidth, "must be positive");
        return this;
    }
}
