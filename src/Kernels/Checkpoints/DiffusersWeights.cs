namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Finds the weights of one component folder of a diffusers pipeline: STEM.safetensors, or sharded with
/// STEM.safetensors.index.json; or the fp16 variant STEM.fp16.safetensors, sharded with STEM.safetensors.index.fp16.json
/// (diffusers' and transformers' variant naming) or STEM.fp16.safetensors.index.json. STEM is diffusion_pytorch_model
/// (unet/, vae/) or model (text encoders). The plain files win when both are present, as from_pretrained without
/// variant= does.
/// </summary>
public static class DiffusersWeights
{
    public const string DiffusersStem = "diffusion_pytorch_model", TransformersStem = "model";

    /// <summary>The weight files (headers read), and "fp16" when they are the variant.</summary>
    /// <param name="only">"fp16": the variant only; null: the plain files, else the variant</param>
    public static (HfWeightFiles Weights, string? Variant) Open(string directory, string stem, string? only = null)
    {
        if (only is not (null or "fp16")) throw new ArgumentException($"variant '{only}' is not supported (null or fp16)", nameof(only));
        foreach (var (single, index, variant) in Candidates(stem).Where(c => only is null || c.Variant == only))
        {
            if (File.Exists(Path.Combine(directory, single))) return (HfWeightFiles.Open(directory, single, index), variant);
            if (File.Exists(Path.Combine(directory, index))) return (HfWeightFiles.Open(directory, single, index), variant);
        }
        var other = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Select(Path.GetFileName).FirstOrDefault(f => f!.EndsWith(".bin", StringComparison.Ordinal) || f!.EndsWith(".ckpt", StringComparison.Ordinal) || f!.EndsWith(".msgpack", StringComparison.Ordinal))
            : null;
        throw new FileNotFoundException(other is null
            ? $"{directory}: no {stem}.safetensors, {stem}.fp16.safetensors or sharded index (no weights)"
            : $"{directory}: weights only as {other}; only safetensors is read", Path.Combine(directory, $"{stem}.safetensors"));
    }

    static IEnumerable<(string Single, string Index, string? Variant)> Candidates(string stem)
    {
        yield return ($"{stem}.safetensors", $"{stem}.safetensors.index.json", null);
        yield return ($"{stem}.fp16.safetensors", $"{stem}.safetensors.index.fp16.json", "fp16");
        yield return ($"{stem}.fp16.safetensors", $"{stem}.fp16.safetensors.index.json", "fp16");
    }

    /// <summary>The files to store for these weights, relative to the component folder.</summary>
    public static IEnumerable<string> Files(HfWeightFiles weights) =>
        (weights.IndexPath is { } index ? [Path.GetFileName(index)] : Array.Empty<string>())
        .Concat(weights.Shards.Select(s => Path.GetFileName(s.Path)));
}
