namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// The shape of a diffusers UNet2DConditionModel (SD 1.x, 2.x, SDXL): the fields of unet/config.json that change the
/// computation, under their diffusers meaning. <see cref="HeadCounts"/> is the number of attention heads per level;
/// diffusers' SD configs spell it <c>attention_head_dim</c> (a naming slip diffusers keeps: with num_attention_heads
/// unset it reads attention_head_dim as the head count), which <c>UNetConfigJson</c> resolves.
/// </summary>
public sealed record UNetConfig
{
    public const string CrossAttnDown = "CrossAttnDownBlock2D", Down = "DownBlock2D";
    public const string CrossAttnUp = "CrossAttnUpBlock2D", Up = "UpBlock2D";
    public const string MidCrossAttn = "UNetMidBlock2DCrossAttn";

    public int InChannels { get; init; } = 4;
    public int OutChannels { get; init; } = 4;
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [32, 32];
    public int LayersPerBlock { get; init; } = 1;
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [CrossAttnDown, Down];
    public IReadOnlyList<string> UpBlockTypes { get; init; } = [Up, CrossAttnUp];
    /// <summary>Attention heads per level (down level i; up block i uses level n-1-i; the mid block the last).</summary>
    public IReadOnlyList<int> HeadCounts { get; init; } = [4, 4];
    /// <summary>Transformer blocks per attention at each level (SDXL's transformer_layers_per_block); mid: the last.</summary>
    public IReadOnlyList<int> TransformerLayersPerBlock { get; init; } = [1, 1];
    public int CrossAttentionDim { get; init; } = 32;
    /// <summary>SD 2.x and SDXL: proj_in/proj_out are Linear layers over tokens instead of 1x1 convolutions.</summary>
    public bool UseLinearProjection { get; init; }
    public int NormNumGroups { get; init; } = 32;
    public double NormEps { get; init; } = 1e-5;
    public bool FlipSinToCos { get; init; } = true;
    public double FreqShift { get; init; }
    /// <summary>diffusers' time_embedding_dim; null: 4 x block_out_channels[0].</summary>
    public int? TimeEmbeddingDim { get; init; }
    /// <summary>null, or "text_time" (SDXL: pooled text embedding and size/crop ids added to the time embedding).</summary>
    public string? AdditionEmbedType { get; init; }
    public int AdditionTimeEmbedDim { get; init; }
    public int ProjectionClassEmbeddingsInputDim { get; init; }
    public int? SampleSize { get; init; }

    public int Levels => BlockOutChannels.Count;
    public int TimeEmbedDim => TimeEmbeddingDim ?? 4 * BlockOutChannels[0];
    public bool TextTime => AdditionEmbedType == "text_time";
    public bool DownHasAttention(int level) => DownBlockTypes[level] == CrossAttnDown;
    public bool UpHasAttention(int block) => UpBlockTypes[block] == CrossAttnUp;

    // Far beyond any published U-Net, small enough that sizes multiply exactly.
    const int MaxWidth = 1 << 15, MaxLevels = 8, MaxLayers = 64;

    /// <summary>Throws a one-line ArgumentException naming the first bad field (diffusers' field names).</summary>
    public UNetConfig Validate()
    {
        if (InChannels is <= 0 or > MaxWidth) throw new ArgumentException($"in_channels must be in 1..{MaxWidth}, got {InChannels}", nameof(InChannels));
        if (OutChannels is <= 0 or > MaxWidth) throw new ArgumentException($"out_channels must be in 1..{MaxWidth}, got {OutChannels}", nameof(OutChannels));
        if (Levels is 0 or > MaxLevels) throw new ArgumentException($"block_out_channels must list 1..{MaxLevels} widths, got {Levels}", nameof(BlockOutChannels));
        if (NormNumGroups is <= 0 or > MaxWidth) throw new ArgumentException($"norm_num_groups must be in 1..{MaxWidth}, got {NormNumGroups}", nameof(NormNumGroups));
        foreach (var c in BlockOutChannels)
            if (c <= 0 || c > MaxWidth || c % NormNumGroups != 0)
                throw new ArgumentException($"block_out_channels entries must be positive multiples of norm_num_groups ({NormNumGroups}) up to {MaxWidth}, got {c}", nameof(BlockOutChannels));
        if (LayersPerBlock is <= 0 or > MaxLayers) throw new ArgumentException($"layers_per_block must be in 1..{MaxLayers}, got {LayersPerBlock}", nameof(LayersPerBlock));
        Count(DownBlockTypes, "down_block_types");
        Count(UpBlockTypes, "up_block_types");
        Count(HeadCounts, "attention_head_dim");
        Count(TransformerLayersPerBlock, "transformer_layers_per_block");
        for (var i = 0; i < Levels; i++)
        {
            if (DownBlockTypes[i] is not (CrossAttnDown or Down))
                throw new ArgumentException($"down_block_types[{i}] '{DownBlockTypes[i]}' is not supported (expected {CrossAttnDown} or {Down})", nameof(DownBlockTypes));
            if (UpBlockTypes[i] is not (CrossAttnUp or Up))
                throw new ArgumentException($"up_block_types[{i}] '{UpBlockTypes[i]}' is not supported (expected {CrossAttnUp} or {Up})", nameof(UpBlockTypes));
            if (HeadCounts[i] <= 0 || BlockOutChannels[i] % HeadCounts[i] != 0)
                throw new ArgumentException($"attention_head_dim[{i}] (the head count) must divide block_out_channels[{i}] ({BlockOutChannels[i]}), got {HeadCounts[i]}", nameof(HeadCounts));
            if (TransformerLayersPerBlock[i] is <= 0 or > MaxLayers)
                throw new ArgumentException($"transformer_layers_per_block[{i}] must be in 1..{MaxLayers}, got {TransformerLayersPerBlock[i]}", nameof(TransformerLayersPerBlock));
        }
        if (CrossAttentionDim is <= 0 or > MaxWidth) throw new ArgumentException($"cross_attention_dim must be in 1..{MaxWidth}, got {CrossAttentionDim}", nameof(CrossAttentionDim));
        if (!(NormEps is > 0 and < 1)) throw new ArgumentException($"norm_eps must be in (0, 1), got {NormEps}", nameof(NormEps));
        if (!double.IsFinite(FreqShift) || Math.Abs(FreqShift) >= BlockOutChannels[0] / 2)
            throw new ArgumentException($"freq_shift must be a finite number below half of block_out_channels[0], got {FreqShift}", nameof(FreqShift));
        if (TimeEmbedDim is <= 0 or > 4 * MaxWidth) throw new ArgumentException($"time_embedding_dim must be in 1..{4 * MaxWidth}, got {TimeEmbedDim}", nameof(TimeEmbeddingDim));
        if (AdditionEmbedType is not (null or "text_time"))
            throw new ArgumentException($"addition_embed_type '{AdditionEmbedType}' is not supported (null or text_time)", nameof(AdditionEmbedType));
        if (TextTime)
        {
            if (AdditionTimeEmbedDim is <= 0 or > MaxWidth || AdditionTimeEmbedDim % 2 != 0)
                throw new ArgumentException($"addition_time_embed_dim must be a positive even number up to {MaxWidth} with addition_embed_type text_time, got {AdditionTimeEmbedDim}", nameof(AdditionTimeEmbedDim));
            if (ProjectionClassEmbeddingsInputDim is <= 0 or > 16 * MaxWidth)
                throw new ArgumentException($"projection_class_embeddings_input_dim must be in 1..{16 * MaxWidth} with addition_embed_type text_time, got {ProjectionClassEmbeddingsInputDim}", nameof(ProjectionClassEmbeddingsInputDim));
        }
        return this;
    }

    void Count<T>(IReadOnlyList<T> list, string field)
    {
        if (list.Count != Levels)
            throw new ArgumentException($"{field} has {list.Count} entries but block_out_channels has {Levels}", field);
    }
}
