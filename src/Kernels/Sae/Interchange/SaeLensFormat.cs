namespace MMInterp.Kernels.Sae.Interchange;

/// <summary>
/// Facts of SAELens's on-disk format (jbloomAus/SAELens 6.18.0: sae_lens/constants.py, saes/sae.py save_model and
/// load_from_disk, loading/pretrained_sae_loaders.py). A directory holds cfg.json (SAEConfig.to_dict: d_in, d_sae,
/// dtype, device, apply_b_dec_to_input, normalize_activations, reshape_activations, metadata, architecture, and
/// TopK's k and rescale_acts_by_decoder_norm) and sae_weights.safetensors (W_enc [d_in, d_sae], b_enc [d_sae],
/// W_dec [d_sae, d_in], b_dec [d_in], JumpReLU's threshold [d_sae]).
/// </summary>
public static class SaeLensFormat
{
    public const string ConfigFile = "cfg.json";
    public const string WeightsFile = "sae_weights.safetensors";
    /// <summary>Our own checkpoint beside SAELens's files, written only when SAELens's weights cannot reproduce ours
    /// bit for bit (input normalisation folded into the weights); SAELens ignores it.</summary>
    public const string SidecarFile = "mminterp_sae.safetensors";
    /// <summary>The SAELens release whose layout we write (its metadata.sae_lens_version); from 6.0 on SAELens reads
    /// the nested layout, before that it converts the flat one (handle_pre_6_0_config).</summary>
    public const string LayoutVersion = "6.18.0";
    /// <summary>Key of our provenance inside cfg.json's metadata (SAELens keeps unknown metadata keys).</summary>
    public const string MetadataKey = "mminterp";

    public const string Standard = "standard";
    public const string TopK = "topk";
    public const string JumpRelu = "jumprelu";

    /// <summary>SAELens's inference architecture for one of our kinds. BatchTopK is saved as JumpReLU with one shared
    /// threshold, as SAELens's BatchTopKTrainingSAE.process_state_dict_for_saving_inference does.</summary>
    public static string Architecture(SaeKind kind) => kind switch
    {
        SaeKind.Relu => Standard,
        SaeKind.TopK => TopK,
        SaeKind.BatchTopK => JumpRelu,
        SaeKind.JumpRelu => JumpRelu,
        _ => throw new ArgumentException($"SAE kind {kind} has no SAELens architecture"),
    };
}
