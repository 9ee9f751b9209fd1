using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Interchange;

/// <summary>An SAE read from a SAELens directory, with the normalised config and what the import had to decide.</summary>
public sealed record SaeLensImport(SparseAutoencoder Sae, SaeLensConfig Config, IReadOnlyList<string> Notes) : IDisposable
{
    public void Dispose() => Sae.Dispose();
}

/// <summary>
/// Reads a directory SAELens wrote (save_model / save_inference_model, any layout SAELens 6 still loads) into one of
/// our SAEs with the same encode and decode: standard -> ReLU, topk -> TopK, jumprelu -> JumpReLU (or BatchTopK when
/// we exported it). Everything SAELens refuses, and everything it runs that we cannot, is refused with one line naming
/// the file and the field.
/// </summary>
public static class SaeLensImporter
{
    static readonly string[] Supported = [SaeLensFormat.Standard, SaeLensFormat.TopK, SaeLensFormat.JumpRelu];

    public static SaeLensImport Read(string directory, Device? device = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: no such directory");
        var cfgPath = Path.Combine(directory, SaeLensFormat.ConfigFile);
        var weightsPath = Path.Combine(directory, SaeLensFormat.WeightsFile);
        var cfg = SaeLensConfig.Read(cfgPath);
        var notes = new List<string>();
        if (cfg.PreV6Layout) notes.Add("cfg.json is in SAELens's pre-6.0 layout; converted as SAELens's handle_pre_6_0_config does");
        Check(cfg, cfgPath, notes);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: missing (a SAELens SAE directory holds {SaeLensFormat.ConfigFile} and {SaeLensFormat.WeightsFile})", weightsPath);

        var (tensors, _) = SafeTensors.Load(weightsPath);
        try
        {
            using var noGrad = no_grad();
            DropUnitScalingFactor(tensors, cfg, weightsPath);
            CheckTensors(tensors, cfg, weightsPath);
            var ours = OurProvenance(cfg, notes);
            if (FromSidecar(directory, tensors, ours, notes, device) is { } exact) return new SaeLensImport(exact, cfg, notes);
            return new SaeLensImport(Build(tensors, cfg, ours, notes, device), cfg, notes);
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    static void Check(SaeLensConfig cfg, string path, List<string> notes)
    {
        if (cfg.Architecture == "batchtopk")
            throw new InvalidDataException($"{path}: architecture 'batchtopk' is SAELens's training layout; SAELens saves BatchTopK SAEs for inference as 'jumprelu' (save_inference_model), import that");
        if (!Supported.Contains(cfg.Architecture))
            throw new InvalidDataException($"{path}: SAELens architecture '{cfg.Architecture}' has no counterpart here (supported: {string.Join(", ", Supported)})");
        switch (cfg.NormalizeActivations)
        {
            case "none": break;
            case "expected_average_only_in":
                // SAELens's load_from_disk applies no factor at run time for this mode (only from_pretrained folds a
                // published one), so the SAE runs on unscaled inputs there too.
                notes.Add("normalize_activations 'expected_average_only_in' with no folded factor: inputs are not scaled, as in SAELens's load_from_disk");
                break;
            case "constant_norm_rescale" or "layer_norm":
                throw new InvalidDataException($"{path}: normalize_activations '{cfg.NormalizeActivations}' rescales every input by its own norm; our SAEs have no such mode");
            default:
                throw new InvalidDataException($"{path}: normalize_activations '{cfg.NormalizeActivations}' is not a SAELens mode");
        }
        if (cfg.ReshapeActivations == "hook_z")
            throw new InvalidDataException($"{path}: reshape_activations 'hook_z' (per-head attention SAEs) is not supported; our SAEs read flat hook vectors");
        if (cfg.ReshapeActivations != "none") throw new InvalidDataException($"{path}: reshape_activations '{cfg.ReshapeActivations}' is not a SAELens mode");
        if (cfg.DType is not ("float32" or "torch.float32")) notes.Add($"weights stored as {cfg.DType}; held and run here in float32");
    }

    /// <summary>SAELens's read_sae_components_from_disk: an all-ones scaling_factor is dropped; any other one is refused
    /// (SAELens 6 refuses it too: its SAEs have no finetuning_scaling_factor parameter).</summary>
    static void DropUnitScalingFactor(Dictionary<string, Tensor> tensors, SaeLensConfig cfg, string path)
    {
        if (!tensors.Remove("scaling_factor", out var s)) return;
        using (s)
        {
            if (s.allclose(ones_like(s))) return;
            if (!cfg.FinetuningScalingFactor) throw new InvalidDataException($"{path}: tensor 'scaling_factor' is present but finetuning_scaling_factor is false");
            throw new InvalidDataException($"{path}: tensor 'scaling_factor' is a finetuning scaling factor (not all ones); SAELens 6 cannot load it and neither can this importer");
        }
    }

    static void CheckTensors(Dictionary<string, Tensor> tensors, SaeLensConfig cfg, string path)
    {
        var expected = new Dictionary<string, long[]>(StringComparer.Ordinal)
        {
            ["W_enc"] = [cfg.DIn, cfg.DSae], ["b_enc"] = [cfg.DSae], ["W_dec"] = [cfg.DSae, cfg.DIn], ["b_dec"] = [cfg.DIn],
        };
        if (cfg.Architecture == SaeLensFormat.JumpRelu) expected["threshold"] = [cfg.DSae];
        foreach (var (name, shape) in expected)
        {
            if (!tensors.TryGetValue(name, out var t)) throw new InvalidDataException($"{path}: missing tensor '{name}' ({cfg.Architecture} SAE)");
            if (!t.shape.SequenceEqual(shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], cfg.json (d_in={cfg.DIn}, d_sae={cfg.DSae}) says [{string.Join(", ", shape)}]");
            if (!t.is_floating_point()) throw new InvalidDataException($"{path}: tensor '{name}' is stored as integers ({t.dtype}); SAE weights are floats");
            if (!t.isfinite().all().item<bool>()) throw new InvalidDataException($"{path}: tensor '{name}' holds NaN or infinite values");
        }
        var extra = tensors.Keys.Where(k => !expected.ContainsKey(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (extra.Count > 0) throw new InvalidDataException($"{path}: unexpected tensor(s) {string.Join(", ", extra.Select(e => $"'{e}'"))} for a {cfg.Architecture} SAE");
    }

    /// <summary>Our config when we exported this directory and it still agrees with SAELens's fields; else null.</summary>
    static (SaeConfig Config, JsonObject Meta)? OurProvenance(SaeLensConfig cfg, List<string> notes)
    {
        if (cfg.Metadata[SaeLensFormat.MetadataKey] is not JsonObject meta || meta["config"] is not JsonObject json) return null;
        try
        {
            var c = SaeConfig.FromJson(json.ToJsonString());
            var agrees = SaeLensFormat.Architecture(c.Kind) == cfg.Architecture && c.DIn == cfg.DIn && c.DSae == cfg.DSae
                         && c.PreEncoderBias == cfg.ApplyBDecToInput && (c.Kind != SaeKind.TopK || (c.K == cfg.K && !cfg.RescaleActsByDecoderNorm));
            if (agrees) return (c, meta);
            notes.Add("metadata.mminterp disagrees with cfg.json (edited since export?); cfg.json's fields were used");
        }
        catch (ArgumentException e) { notes.Add($"metadata.mminterp.config unreadable ({e.Message}); cfg.json's fields were used"); }
        return null;
    }

    /// <summary>Our own checkpoint written beside the export, used only when re-exporting it gives SAELens's tensors bit for bit.</summary>
    static SparseAutoencoder? FromSidecar(string directory, Dictionary<string, Tensor> tensors, (SaeConfig Config, JsonObject Meta)? ours,
        List<string> notes, Device? device)
    {
        if (ours?.Meta["sidecar"] is not JsonValue v || !v.TryGetValue<string>(out var name) || name != SaeLensFormat.SidecarFile) return null;
        var path = Path.Combine(directory, name);
        if (!File.Exists(path)) { notes.Add($"{name} named in metadata is missing; imported SAELens's weights"); return null; }
        var sae = SaeCheckpoint.LoadSae(path, device);
        var state = SaeLensExporter.StateDict(sae);
        try
        {
            var same = sae.Config == ours.Value.Config && state.Count == tensors.Count
                       && state.All(kv => tensors.TryGetValue(kv.Key, out var t) && BitEqual(t, kv.Value));
            if (same)
            {
                notes.Add($"restored exactly from {name} (it re-exports to sae_weights.safetensors bit for bit)");
                return sae;
            }
            notes.Add($"{name} does not match sae_weights.safetensors (edited since export?); imported SAELens's weights");
            sae.Dispose();
            return null;
        }
        finally { foreach (var t in state.Values) t.Dispose(); }
    }

    static SparseAutoencoder Build(Dictionary<string, Tensor> tensors, SaeLensConfig cfg, (SaeConfig Config, JsonObject Meta)? ours,
        List<string> notes, Device? device)
    {
        var wEnc = tensors["W_enc"].to(float32);
        var bEnc = tensors["b_enc"].to(float32);
        var wDec = tensors["W_dec"].to(float32);
        var bDec = tensors["b_dec"].to(float32);
        if (cfg.Architecture == SaeLensFormat.TopK && cfg.RescaleActsByDecoderNorm)
        {
            // SAELens scales pre-activations by ||W_dec row|| and divides them out before decoding; with unit-norm rows
            // and the norms folded into W_enc and b_enc (its fold_W_dec_norm) the SAE is the same map.
            var norms = wDec.norm(1);
            if (!(norms > 0).all().item<bool>()) throw new InvalidDataException($"{SaeLensFormat.WeightsFile}: rescale_acts_by_decoder_norm with a zero decoder row cannot be folded");
            wDec = wDec / norms.unsqueeze(1);
            wEnc = wEnc * norms.unsqueeze(0);
            bEnc = bEnc * norms;
            notes.Add("rescale_acts_by_decoder_norm folded into the weights (unit-norm decoder rows), as SAELens's fold_W_dec_norm does");
        }
        var kind = cfg.Architecture switch
        {
            SaeLensFormat.Standard => SaeKind.Relu,
            SaeLensFormat.TopK => SaeKind.TopK,
            _ => ours?.Config.Kind == SaeKind.BatchTopK && SharedThreshold(tensors["threshold"]) ? SaeKind.BatchTopK : SaeKind.JumpRelu,
        };
        var config = ours?.Config.Kind == kind ? ours.Value.Config
            : new SaeConfig { Kind = kind, DIn = cfg.DIn, DSae = cfg.DSae, K = cfg.K ?? Math.Min(32, cfg.DSae), PreEncoderBias = cfg.ApplyBDecToInput };
        var sae = SaeFactory.Create(config, device);
        try
        {
            var dev = sae.Device;
            sae.W_enc.detach().copy_(wEnc.to(dev));
            sae.b_enc.detach().copy_(bEnc.to(dev));
            sae.W_dec.detach().copy_(wDec.to(dev));
            sae.b_dec.detach().copy_(bDec.to(dev));
            switch (sae)
            {
                case JumpReluSae j:
                    // SAELens's JumpReLU is relu(pre) * (pre > threshold); ours is pre * (pre > exp(log_threshold)): the
                    // same map for thresholds >= 0, and a negative threshold acts as 0 under SAELens's ReLU.
                    var threshold = tensors["threshold"].to(float32).clamp_min(0);
                    if ((tensors["threshold"] < 0).any().item<bool>()) notes.Add("negative JumpReLU thresholds act as 0 under SAELens's ReLU; stored as 0");
                    j.log_threshold.detach().copy_(ExactLog(threshold).to(dev));
                    break;
                case BatchTopKSae b:
                    b.Buffers.Single().Buffer.copy_(tensors["threshold"][0].reshape(1).to(dev));
                    break;
            }
            return sae;
        }
        catch
        {
            sae.Dispose();
            throw;
        }
    }

    /// <summary>Same float32 bits (so -0 and +0 differ, unlike ==).</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (a.dtype != float32 || b.dtype != float32 || !a.shape.SequenceEqual(b.shape)) return false;
        using var scope = NewDisposeScope();
        return NativeTensor.ByteSpan(a.cpu().contiguous()).SequenceEqual(NativeTensor.ByteSpan(b.cpu().contiguous()));
    }

    static bool SharedThreshold(Tensor threshold) => threshold.eq(threshold[0]).all().item<bool>();

    /// <summary>
    /// log(threshold) nudged by ulps until exp gives the threshold back exactly where it can: float32 log then exp is
    /// not always the identity, and our JumpReLU compares against exp(log_threshold).
    /// </summary>
    public static Tensor ExactLog(Tensor threshold)
    {
        using var scope = NewDisposeScope();
        var t = threshold.to(float32).contiguous();
        var lt = t.log();
        var down = full_like(lt, double.NegativeInfinity);
        var up = full_like(lt, double.PositiveInfinity);
        for (var i = 0; i < 16; i++)
        {
            var e = lt.exp();
            var bad = e.ne(t);
            if (!bad.any().item<bool>()) break;
            lt = where(bad, lt.nextafter(where(e.gt(t), down, up)), lt);
        }
        return lt.MoveToOuterDisposeScope();
    }
}
