using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llm;

namespace MMInterp.Kernels.Models.Llava;

/// <summary>
/// HF LlavaConfig: the CLIP vision tower (vision_config), the decoder (text_config), and how image features reach the
/// decoder: the hidden state(s) of <see cref="VisionFeatureLayers"/>, with or without the class token
/// (<see cref="SelectStrategy"/>), through the 2-layer projector, into the positions of <see cref="ImageTokenId"/>.
/// </summary>
public sealed record LlavaConfig
{
    public const string DefaultStrategy = "default", FullStrategy = "full";

    public ClipVisionConfig Vision { get; init; } = new();
    public LlamaConfig Text { get; init; } = new();
    /// <summary>image_token_index (older configs) / image_token_id (transformers >= 4.47).</summary>
    public int ImageTokenId { get; init; } = 32000;
    /// <summary>Indices into HF's hidden_states (0: the pre-normed embeddings, i: block i-1's output; negative from the
    /// end); several are concatenated along the feature axis.</summary>
    public IReadOnlyList<int> VisionFeatureLayers { get; init; } = [-2];
    /// <summary>vision_feature_layer was a list in the config (written back as one).</summary>
    public bool FeatureLayerIsList { get; init; }
    /// <summary>"default" drops the class token, "full" keeps it.</summary>
    public string SelectStrategy { get; init; } = DefaultStrategy;
    public string ProjectorHiddenAct { get; init; } = "gelu";
    public bool ProjectorBias { get; init; } = true;
    /// <summary>image_seq_length: the processor's count of image tokens per image (informational; the tower decides).</summary>
    public int? ImageSeqLength { get; init; }

    /// <summary>Image features per image: patches, plus the class token under "full".</summary>
    public int FeaturesPerImage => Vision.PatchesPerSide * Vision.PatchesPerSide + (SelectStrategy == FullStrategy ? 1 : 0);

    /// <summary>The projector's input width: the tower's width times the number of layers read.</summary>
    public int ProjectorInput => Vision.Tower.HiddenSize * VisionFeatureLayers.Count;

    /// <summary>A feature layer as a non-negative index into hidden_states (0..layers).</summary>
    public int HiddenStateIndex(int layer) => layer < 0 ? Vision.Tower.NumLayers + 1 + layer : layer;

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public LlavaConfig Validate()
    {
        var probe = new ClipConfig { Vision = Vision };
        probe.Validate();
        Text.Validate();
        if (ImageTokenId < 0) throw new ArgumentException($"image_token_index must be >= 0, got {ImageTokenId}", nameof(ImageTokenId));
        if (VisionFeatureLayers.Count == 0) throw new ArgumentException("vision_feature_layer is an empty list", nameof(VisionFeatureLayers));
        foreach (var l in VisionFeatureLayers)
        {
            var n = Vision.Tower.NumLayers;
            if (l < -(n + 1) || l > n)
                throw new ArgumentException($"vision_feature_layer {l} is outside the tower's hidden states ({-(n + 1)}..{n} for {n} layers)", nameof(VisionFeatureLayers));
        }
        if (SelectStrategy is not (DefaultStrategy or FullStrategy))
            throw new ArgumentException($"vision_feature_select_strategy '{SelectStrategy}' is not 'default' or 'full'", nameof(SelectStrategy));
        Clip.Activations.Check(ProjectorHiddenAct, "projector_hidden_act");
        return this;
    }

    /// <summary>Parameters of the whole model (vision tower with post_layernorm, projector, decoder), from the sizes.</summary>
    public double ParameterCount
    {
        get
        {
            double i = ProjectorInput, h = Text.HiddenSize;
            var projector = i * h + h * h + (ProjectorBias ? 2 * h : 0);
            return Vision.ParameterCount + projector + Text.ParameterCount;
        }
    }
}
