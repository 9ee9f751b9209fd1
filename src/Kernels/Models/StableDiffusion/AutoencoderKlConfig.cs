namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The shape of a diffusers AutoencoderKL (vae/config.json): the fields that change the computation, under diffusers'
/// names in errors. Stable Diffusion v1/v2's VAE is block_out_channels [128, 256, 512, 512], layers_per_block 2,
/// latent_channels 4, scaling_factor 0.18215.
/// </summary>
public sealed record AutoencoderKlConfig
{
    public const string DownBlock = "DownEncoderBlock2D", UpBlock = "UpDecoderBlock2D";

    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [64];
    public int LayersPerBlock { get; init; } = 1;
    public int LatentChannels { get; init; } = 4;
    public int NormNumGroups { get; init; } = 32;
    /// <summary>What a pipeline multiplies the latent mean by before the denoiser sees it (not applied by Encode/Decode,
    /// as in diffusers).</summary>
    public double ScalingFactor { get; init; } = 0.18215;
    /// <summary>SD3/Flux VAEs subtract this before scaling; null in SD 1/2.</summary>
    public double? ShiftFactor { get; init; }
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [DownBlock];
    public IReadOnlyList<string> UpBlockTypes { get; init; } = [UpBlock];
    public bool UseQuantConv { get; init; } = true;
    public bool UsePostQuantConv { get; init; } = true;
    public bool MidBlockAddAttention { get; init; } = true;
    public int SampleSize { get; init; } = 32;

    /// <summary>Each down block but the last halves the resolution.</summary>
    public int DownFactor => 1 << (BlockOutChannels.Count - 1);

    /// <summary>Parameters of diffusers' AutoencoderKL state dict, from the sizes alone: what a load checks against
    /// memory before it allocates anything.</summary>
    public double ParameterCount
    {
        get
        {
            static double Conv(double i, double o, double k) => k * k * i * o + o;
            static double Resnet(double i, double o) => 2 * i + Conv(i, o, 3) + 2 * o + Conv(o, o, 3) + (i != o ? Conv(i, o, 1) : 0);
            double Mid(double w) => 2 * Resnet(w, w) + (MidBlockAddAttention ? 2 * w + 4 * (w * w + w) : 0);
            double z = LatentChannels, first = BlockOutChannels[0], last = BlockOutChannels[^1];
            var encoder = Conv(InChannels, first, 3) + Mid(last) + 2 * last + Conv(last, 2 * z, 3);
            var decoder = Conv(z, last, 3) + Mid(last) + 2 * first + Conv(first, OutChannels, 3);
            for (var i = 0; i < BlockOutChannels.Count; i++)
            {
                double w = BlockOutChannels[i], previous = i == 0 ? first : BlockOutChannels[i - 1];
                var resample = i < BlockOutChannels.Count - 1 ? Conv(w, w, 3) : 0;
                encoder += Resnet(previous, w) + (LayersPerBlock - 1) * Resnet(w, w) + resample;
                // The decoder's block i (from the top) reads the width below it and has one resnet more.
                double below = i == BlockOutChannels.Count - 1 ? w : BlockOutChannels[i + 1];
                decoder += Resnet(below, w) + LayersPerBlock * Resnet(w, w) + (i > 0 ? Conv(w, w, 3) : 0);
            }
            return encoder + decoder + (UseQuantConv ? Conv(2 * z, 2 * z, 1) : 0) + (UsePostQuantConv ? Conv(z, z, 1) : 0);
        }
    }

    const int MaxWidth = 1 << 14, MaxBlocks = 16, MaxLayers = 64;

    /// <summary>Throws an ArgumentException naming the first bad field (diffusers' field names).</summary>
    public AutoencoderKlConfig Validate()
    {
        if (InChannels is <= 0 or > 64) throw new ArgumentException($"in_channels must be in 1..64, got {InChannels}", nameof(InChannels));
        if (OutChannels is <= 0 or > 64) throw new ArgumentException($"out_channels must be in 1..64, got {OutChannels}", nameof(OutChannels));
        if (BlockOutChannels.Count is 0 or > MaxBlocks) throw new ArgumentException($"block_out_channels must list 1..{MaxBlocks} widths, got {BlockOutChannels.Count}", nameof(BlockOutChannels));
        if (NormNumGroups is <= 0 or > MaxWidth) throw new ArgumentException($"norm_num_groups must be in 1..{MaxWidth}, got {NormNumGroups}", nameof(NormNumGroups));
        foreach (var w in BlockOutChannels)
        {
            if (w is <= 0 or > MaxWidth) throw new ArgumentException($"block_out_channels must be in 1..{MaxWidth}, got {w}", nameof(BlockOutChannels));
            // GroupNorm splits the channels into norm_num_groups equal groups.
            if (w % NormNumGroups != 0) throw new ArgumentException($"block_out_channels {w} is not a multiple of norm_num_groups {NormNumGroups}", nameof(BlockOutChannels));
        }
        if (LayersPerBlock is <= 0 or > MaxLayers) throw new ArgumentException($"layers_per_block must be in 1..{MaxLayers}, got {LayersPerBlock}", nameof(LayersPerBlock));
        if (LatentChannels is <= 0 or > 1024) throw new ArgumentException($"latent_channels must be in 1..1024, got {LatentChannels}", nameof(LatentChannels));
        if (!(ScalingFactor > 0) || !double.IsFinite(ScalingFactor)) throw new ArgumentException($"scaling_factor must be a positive finite number, got {ScalingFactor}", nameof(ScalingFactor));
        if (ShiftFactor is double s && !double.IsFinite(s)) throw new ArgumentException($"shift_factor must be finite, got {s}", nameof(ShiftFactor));
        if (DownBlockTypes.Count != BlockOutChannels.Count)
            throw new ArgumentException($"down_block_types has {DownBlockTypes.Count} entries but block_out_channels {BlockOutChannels.Count}", nameof(DownBlockTypes));
        if (UpBlockTypes.Count != BlockOutChannels.Count)
            throw new ArgumentException($"up_block_types has {UpBlockTypes.Count} entries but block_out_channels {BlockOutChannels.Count}", nameof(UpBlockTypes));
        if (DownBlockTypes.FirstOrDefault(t => t != DownBlock) is { } down)
            throw new ArgumentException($"down_block_types entry '{down}' is not supported (only {DownBlock})", nameof(DownBlockTypes));
        if (UpBlockTypes.FirstOrDefault(t => t != UpBlock) is { } up)
            throw new ArgumentException($"up_block_types entry '{up}' is not supported (only {UpBlock})", nameof(UpBlockTypes));
        if (SampleSize is <= 0 or > 1 << 16) throw new ArgumentException($"sample_size must be in 1..{1 << 16}, got {SampleSize}", nameof(SampleSize));
        return this;
    }
}
