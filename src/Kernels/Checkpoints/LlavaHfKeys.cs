namespace MMInterp.Kernels.Checkpoints;

/// <summary>The two key layouts of HF LLaVA checkpoints.</summary>
public enum LlavaKeyLayout
{
    /// <summary>transformers &lt; 4.52 (llava-hf's published files): vision_tower.*, multi_modal_projector.*,
    /// language_model.model.*, language_model.lm_head.weight. The model's own parameter names.</summary>
    Older,
    /// <summary>transformers &gt;= 4.52: model.vision_tower.*, model.multi_modal_projector.*, model.language_model.*
    /// (no inner "model."), lm_head.weight.</summary>
    Newer,
}

/// <summary>Maps between the newer layout's keys and the model's (older) parameter names.</summary>
public static class LlavaHfKeys
{
    const string NewLm = "model.language_model.", OldLm = "language_model.model.";

    /// <summary>Newer when any key is under model.* or is the bare lm_head.weight; otherwise older.</summary>
    public static LlavaKeyLayout Detect(IEnumerable<string> keys) =>
        keys.Any(k => k.StartsWith("model.", StringComparison.Ordinal) || k == "lm_head.weight") ? LlavaKeyLayout.Newer : LlavaKeyLayout.Older;

    /// <summary>The model's parameter name for a stored key.</summary>
    public static string ToModel(string key, LlavaKeyLayout layout)
    {
        if (layout == LlavaKeyLayout.Older) return key;
        if (key.StartsWith(NewLm, StringComparison.Ordinal)) return OldLm + key[NewLm.Length..];
        if (key == "lm_head.weight") return "language_model.lm_head.weight";
        if (key.StartsWith("model.", StringComparison.Ordinal)) return key["model.".Length..];
        return key; // unknown: stays as it is and is refused by name as unexpected
    }

    /// <summary>The stored key of a model parameter in a layout.</summary>
    public static string ToFile(string name, LlavaKeyLayout layout)
    {
        if (layout == LlavaKeyLayout.Older) return name;
        if (name.StartsWith(OldLm, StringComparison.Ordinal)) return NewLm + name[OldLm.Length..];
        if (name == "language_model.lm_head.weight") return "lm_head.weight";
        return "model." + name;
    }

    /// <summary>Stored entries that are not parameters: the vision embeddings' position_ids and the decoder's rotary
    /// inv_freq buffers older conversions saved, and the head when text_config ties it to the embeddings.</summary>
    public static bool IsIgnored(string modelName, bool tiedHead) =>
        modelName.EndsWith(".position_ids", StringComparison.Ordinal) || modelName.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
        || (tiedHead && modelName == "language_model.lm_head.weight");
}

/// <summary>The keys and shapes of a LlavaForConditionalGeneration from its config alone, in the model's (older) names.</summary>
public static class LlavaExpectedKeys
{
    public static IReadOnlyDictionary<string, long[]> Expected(Models.Llava.LlavaConfig c)
    {
        var keys = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (k, v) in ClipHfKeys.Expected(new Models.Clip.ClipConfig { Vision = c.Vision }))
            if (k.StartsWith("vision_model.", StringComparison.Ordinal)) keys["vision_tower." + k] = v;
        long i = c.ProjectorInput, h = c.Text.HiddenSize;
        keys["multi_modal_projector.linear_1.weight"] = [h, i];
        keys["multi_modal_projector.linear_2.weight"] = [h, h];
        if (c.ProjectorBias)
        {
            keys["multi_modal_projector.linear_1.bias"] = [h];
            keys["multi_modal_projector.linear_2.bias"] = [h];
        }
        foreach (var (k, v) in LlamaHfKeys.Expected(c.Text, "language_model.")) keys[k] = v;
        return keys;
    }
}
