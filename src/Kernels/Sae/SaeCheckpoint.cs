using System.Globalization;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae.Training;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae;

/// <summary>
/// SAE files in safetensors. <see cref="SaveSae"/>/<see cref="LoadSae"/>: weights + buffers + config + norm scale
/// (the dictionary artefact). <see cref="SaveTraining"/>/<see cref="LoadTraining"/> add the Adam moments, dead-feature
/// counters, step, data position and the training config: everything a bit-identical resume needs (all other
/// randomness is derived from seed and step). Writes are atomic (temp file, fsync, rename).
/// </summary>
public static class SaeCheckpoint
{
    public const string Format = "mminterp.sae.v1";

    public static void SaveSae(string path, SparseAutoencoder sae) => SafeTensors.Save(path, SaeTensors(sae), SaeMetadata(sae));

    public static SparseAutoencoder LoadSae(string path, Device? device = null)
    {
        var (tensors, meta) = SafeTensors.Load(path);
        try { return Restore(path, tensors, meta, device); }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    public static void SaveTraining(string path, SparseAutoencoder sae, AdamOptimizer adam, DeadFeatureTracker tracker,
        SaeTrainingConfig training, long step, long dataPosition)
    {
        var tensors = SaeTensors(sae);
        foreach (var (name, _) in sae.Parameters)
        {
            tensors.Add("adam.m." + name, adam.M[name]);
            tensors.Add("adam.v." + name, adam.V[name]);
        }
        tensors.Add("dead.rows_since_fired", tracker.RowsSinceFired);
        var meta = SaeMetadata(sae);
        meta["training"] = training.ToJson();
        meta["step"] = step.ToString(CultureInfo.InvariantCulture);
        meta["data_position"] = dataPosition.ToString(CultureInfo.InvariantCulture);
        SafeTensors.Save(path, tensors, meta);
    }

    public sealed record TrainingState(SparseAutoencoder Sae, SaeTrainingConfig Training, long Step, long DataPosition,
        Dictionary<string, Tensor> AdamM, Dictionary<string, Tensor> AdamV, Tensor RowsSinceFired);

    public static TrainingState LoadTraining(string path, Device? device = null)
    {
        var (tensors, meta) = SafeTensors.Load(path);
        try
        {
            if (!meta.TryGetValue("training", out var tj) || !meta.TryGetValue("step", out var st) || !meta.TryGetValue("data_position", out var dp))
                throw new InvalidDataException($"'{path}': not a training checkpoint (no training/step/data_position metadata)");
            var training = Read(path, "training config", () => SaeTrainingConfig.FromJson(tj));
            var step = Count(path, "step", st);
            var position = Count(path, "data_position", dp);
            var sae = Restore(path, tensors, meta, device);
            try
            {
                var dev = device ?? CPU;
                // Adam's moments have their parameter's shape; a resumed run steps with them, so they are checked as weights are.
                Tensor Need(string n, Tensor like)
                {
                    if (!tensors.TryGetValue(n, out var t)) throw new InvalidDataException($"'{path}': missing tensor '{n}'");
                    Check(path, n, t, like);
                    return t.to(dev);
                }
                var m = sae.Parameters.ToDictionary(p => p.Name, p => Need("adam.m." + p.Name, p.Param));
                var v = sae.Parameters.ToDictionary(p => p.Name, p => Need("adam.v." + p.Name, p.Param));
                if (!tensors.TryGetValue("dead.rows_since_fired", out var rows)) throw new InvalidDataException($"'{path}': missing tensor 'dead.rows_since_fired'");
                if (rows.is_floating_point() || rows.dim() != 1 || rows.shape[0] != sae.Config.DSae)
                    throw new InvalidDataException($"'{path}': tensor 'dead.rows_since_fired' must be integer [{sae.Config.DSae}], got {rows.dtype} [{string.Join(",", rows.shape)}]");
                return new TrainingState(sae, training, step, position, m, v, rows.to(dev));
            }
            catch
            {
                sae.Dispose();
                throw;
            }
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
    }

    static T Read<T>(string path, string what, Func<T> read)
    {
        try { return read(); }
        catch (ArgumentException e) { throw new InvalidDataException($"'{path}': bad {what}: {JsonFiles.Reason(e)}", e); }
    }

    static long Count(string path, string key, string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw new InvalidDataException($"'{path}': metadata '{key}' is not a non-negative integer: '{text}'");

    /// <summary>Shape, dtype class and finiteness of a stored tensor against the one it fills.</summary>
    static void Check(string path, string name, Tensor stored, Tensor target)
    {
        if (!stored.shape.SequenceEqual(target.shape))
            throw new InvalidDataException($"'{path}': tensor '{name}' has shape [{string.Join(",", stored.shape)}], expected [{string.Join(",", target.shape)}]");
        WeightChecks.RequireClass(path, name, stored, target);
        WeightChecks.RequireFinite(path, name, stored);
    }

    private static Dictionary<string, Tensor> SaeTensors(SparseAutoencoder sae) =>
        sae.Parameters.Select(p => (p.Name, p.Param)).Concat(sae.Buffers.Select(b => ("buffer." + b.Name, b.Buffer)))
            .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    private static Dictionary<string, string> SaeMetadata(SparseAutoencoder sae) => new()
    {
        ["format"] = Format,
        ["config"] = sae.Config.ToJson(),
        ["norm_scale"] = sae.NormScale.ToString("R", CultureInfo.InvariantCulture),
    };

    private static SparseAutoencoder Restore(string path, Dictionary<string, Tensor> tensors, Dictionary<string, string> meta, Device? device)
    {
        if (!meta.TryGetValue("format", out var f) || f != Format) throw new InvalidDataException($"'{path}': not an {Format} file");
        if (!meta.TryGetValue("config", out var configJson)) throw new InvalidDataException($"'{path}': no SAE config in the metadata");
        // Validated (sizes against memory included) before the SAE is allocated.
        var config = Read(path, "SAE config", () => SaeConfig.FromJson(configJson));
        if (!meta.TryGetValue("norm_scale", out var ns) || !double.TryParse(ns, NumberStyles.Float, CultureInfo.InvariantCulture, out var normScale)
            || !double.IsFinite(normScale) || normScale <= 0)
            throw new InvalidDataException($"'{path}': metadata 'norm_scale' must be a positive finite number, got '{(meta.TryGetValue("norm_scale", out var raw) ? raw : "nothing")}'");
        var sae = SaeFactory.Create(config, device);
        try
        {
            sae.NormScale = normScale;
            using var noGrad = no_grad();
            foreach (var (name, target) in sae.Parameters.Concat(sae.Buffers.Select(b => ("buffer." + b.Name, b.Buffer))))
            {
                if (!tensors.TryGetValue(name, out var t)) throw new InvalidDataException($"'{path}': missing tensor '{name}'");
                Check(path, name, t, target);
                target.detach().copy_(t);
            }
            return sae;
        }
        catch
        {
            sae.Dispose();
            throw;
        }
    }
}
