namespace MMInterp.Grains.Contracts.Dictionaries;

/// <summary>
/// A registered dictionary (SAE), loaded once on an accelerator silo and kept there while callers use it: encode rows
/// of activations into features, decode features back, and describe one feature. For interactive work on small
/// batches (the web UI, a notebook); batch analyses load the SAE where they run. Key: dictionary id.
/// </summary>
public interface IDictionaryGrain : IGrainWithStringKey
{
    /// <summary>Loads the SAE on this grain's silo (if not yet) and describes it; an unknown id fails clearly.</summary>
    [ResponseTimeout("00:05:00")]
    Task<DictionaryInfo> Describe();

    /// <summary>The SAE's latents of each row, sparse (only non-zero features).</summary>
    Task<FeatureCodes> Encode(ActivationRows rows);

    /// <summary>Rows rebuilt from sparse latents (the SAE's reconstruction).</summary>
    Task<ActivationRows> Decode(FeatureCodes codes);

    /// <summary>One feature: its decoder norm from the loaded SAE and the statistics an analysis recorded for it.</summary>
    Task<DictionaryFeature> Feature(int index);
}
