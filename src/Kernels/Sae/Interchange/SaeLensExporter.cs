using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Interchange;

/// <summary>Where an exported SAE reads its input: SAELens's metadata.model_name and metadata.hook_name.</summary>
public sealed record SaeLensProvenance(string? ModelName, string? HookName, string? DictionaryId = null);

/// <summary>
/// Writes one of our SAEs as SAELens's save_model would: cfg.json and sae_weights.safetensors (float32) with SAELens's
/// key names and shapes. Input normalisation is folded into the weights (W_enc * s, W_dec / s, b_dec / s) and
/// normalize_activations written as "none", exactly as SAELens's trainer does before it saves
/// (fold_activation_norm_scaling_factor), because SAELens's loader applies no stored factor.
/// </summary>
public static class SaeLensExporter
{
    /// <summary>The state dict SAELens's SAE of the matching architecture holds, on the CPU.</summary>
    public static Dictionary<string, Tensor> StateDict(SparseAutoencoder sae)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var s = sae.NormScale;
        var scale = tensor(s, dtype: float32);
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal)
        {
            ["W_enc"] = s == 1.0 ? sae.W_enc.detach().cpu().clone() : sae.W_enc.detach().cpu() * scale,
            ["b_enc"] = sae.b_enc.detach().cpu().clone(),
            ["W_dec"] = s == 1.0 ? sae.W_dec.detach().cpu().clone() : sae.W_dec.detach().cpu() / scale,
            ["b_dec"] = s == 1.0 ? sae.b_dec.detach().cpu().clone() : sae.b_dec.detach().cpu() / scale,
        };
        switch (sae)
        {
            case JumpReluSae j:
                d["threshold"] = j.log_threshold.detach().cpu().exp();
                break;
            case BatchTopKSae b:
                // One threshold for every latent: the running threshold BatchTopK encodes with at inference.
                d["threshold"] = ones(sae.Config.DSae, dtype: float32) * b.Buffers.Single().Buffer.detach().cpu();
                break;
        }
        foreach (var t in d.Values) t.MoveToOuterDisposeScope();
        return d;
    }

    /// <summary>cfg.json as SAELens's SAEConfig.to_dict writes it (field order included), with our provenance in metadata.</summary>
    public static JsonObject Config(SparseAutoencoder sae, SaeLensProvenance provenance)
    {
        var c = sae.Config;
        var mminterp = new JsonObject
        {
            ["format"] = SaeCheckpoint.Format,
            ["kind"] = c.Kind.ToString(),
            ["config"] = JsonNode.Parse(c.ToJson()),
            ["norm_scale"] = sae.NormScale,
            ["sidecar"] = NeedsSidecar(sae) ? SaeLensFormat.SidecarFile : null,
            ["dictionary_id"] = provenance.DictionaryId,
        };
        var cfg = new JsonObject
        {
            ["d_in"] = c.DIn,
            ["d_sae"] = c.DSae,
            ["dtype"] = "float32",
            ["device"] = "cpu",
            ["apply_b_dec_to_input"] = c.PreEncoderBias,
            ["normalize_activations"] = "none",
            ["reshape_activations"] = "none",
            ["metadata"] = new JsonObject
            {
                ["sae_lens_version"] = SaeLensFormat.LayoutVersion,
                // Not trained by SAELens.
                ["sae_lens_training_version"] = null,
                ["model_name"] = provenance.ModelName,
                ["hook_name"] = provenance.HookName,
                ["hook_head_index"] = null,
                [SaeLensFormat.MetadataKey] = mminterp,
            },
        };
        if (c.Kind == SaeKind.TopK)
        {
            cfg["k"] = c.K;
            // Ours selects the top k of the raw pre-activations.
            cfg["rescale_acts_by_decoder_norm"] = false;
        }
        cfg["architecture"] = SaeLensFormat.Architecture(c.Kind);
        return cfg;
    }

    /// <summary>SAELens's weights reproduce ours exactly unless a normalisation factor had to be folded into them.</summary>
    public static bool NeedsSidecar(SparseAutoencoder sae) => sae.NormScale != 1.0;

    /// <summary>
    /// Writes the directory (created when missing; refused when it already holds an SAE). Weights first, cfg.json last,
    /// each atomically; on failure nothing this call wrote is left behind.
    /// </summary>
    public static void Export(SparseAutoencoder sae, string directory, SaeLensProvenance provenance)
    {
        var cfgPath = Path.Combine(directory, SaeLensFormat.ConfigFile);
        var weightsPath = Path.Combine(directory, SaeLensFormat.WeightsFile);
        var sidecarPath = Path.Combine(directory, SaeLensFormat.SidecarFile);
        foreach (var p in new[] { cfgPath, weightsPath, sidecarPath })
            if (File.Exists(p)) throw new IOException($"{p}: already exists; export into an empty directory");
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        try
        {
            var state = StateDict(sae);
            try { SafeTensors.Save(weightsPath, state); }
            finally { foreach (var t in state.Values) t.Dispose(); }
            written.Add(weightsPath);
            if (NeedsSidecar(sae))
            {
                SaeCheckpoint.SaveSae(sidecarPath, sae);
                written.Add(sidecarPath);
            }
            AtomicFile.WriteAllText(cfgPath, Config(sae, provenance).ToJsonString());
        }
        catch
        {
            foreach (var p in written) try { File.Delete(p); } catch (IOException) { }
            throw;
        }
    }
}
