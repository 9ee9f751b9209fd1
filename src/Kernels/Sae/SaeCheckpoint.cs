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
            var sae = Restore(path, tensors, meta, device);
            var dev = device ?? CPU;
            Tensor Need(string n) => tensors.TryGetValue(n, out var t) ? t.to(dev) : throw new InvalidDataException($"'{path}': missing tensor '{n}'");
            var m = sae.Parameters.ToDictionary(p => p.Name, p => Need("adam.m." + p.Name));
            var v = sae.Parameters.ToDictionary(p => p.Name, p => Need("adam.v." + p.Name));
            if (!meta.TryGetValue("training", out var tj) || !meta.TryGetValue("step", out var st) || !meta.TryGetValue("data_position", out var dp))
                throw new InvalidDataException($"'{path}': not a training checkpoint (no training/step/data_position metadata)");
            return new TrainingState(sae, SaeTrainingConfig.FromJson(tj), long.Parse(st, CultureInfo.InvariantCulture),
                long.Parse(dp, CultureInfo.InvariantCulture), m, v, Need("dead.rows_since_fired"));
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
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
        var sae = SaeFactory.Create(SaeConfig.FromJson(meta["config"]), device);
        sae.NormScale = double.Parse(meta["norm_scale"], CultureInfo.InvariantCulture);
        using var noGrad = no_grad();
        foreach (var (name, target) in sae.Parameters.Concat(sae.Buffers.Select(b => ("buffer." + b.Name, b.Buffer))))
        {
            if (!tensors.TryGetValue(name, out var t)) { sae.Dispose(); throw new InvalidDataException($"'{path}': missing tensor '{name}'"); }
            if (!t.shape.SequenceEqual(target.shape)) { sae.Dispose(); throw new InvalidDataException($"'{path}': tensor '{name}' has shape [{string.Join(",", t.shape)}], expected [{string.Join(",", target.shape)}]"); }
            target.detach().copy_(t);
        }
        return sae;
    }
}
