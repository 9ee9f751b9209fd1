using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Activations;

/// <summary>Reads and validates shards of an activation set; any defect raises an error naming the shard.</summary>
public sealed class ActivationSetReader(string directory, bool verifyChecksums = true)
{
    public string Directory { get; } = directory;
    public ActivationSetIndex Index { get; } = ActivationSetIndex.Load(directory);

    /// <summary>Shard i as a float32 [rows, d] CPU tensor, checked against the index (sha256, shape) and for NaN/inf.</summary>
    public Tensor ReadShard(int i)
    {
        if (i < 0 || i >= Index.Shards.Count) throw new ArgumentOutOfRangeException(nameof(i), $"shard {i} of {Index.Shards.Count}");
        var s = Index.Shards[i];
        var path = Path.Combine(Directory, s.Name);
        string Where() => $"activation shard '{s.Name}' in '{Directory}'";
        if (!File.Exists(path)) throw new InvalidDataException($"{Where()}: file is missing");
        if (verifyChecksums && ActivationSetWriter.Sha256Of(path) != s.Sha256)
            throw new InvalidDataException($"{Where()}: sha256 does not match the index (truncated or modified)");
        Tensor t;
        try { t = SafeTensors.LoadOne(path, ActivationSetIndex.TensorName, out _); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{Where()}: {e.Message}", e); }
        if (t.dtype != ScalarType.Float32 || t.dim() != 2 || t.shape[0] != s.Rows || t.shape[1] != Index.D)
        {
            var shape = string.Join(",", t.shape);
            t.Dispose();
            throw new InvalidDataException($"{Where()}: shape [{shape}] does not match the index [{s.Rows},{Index.D}] float32");
        }
        if (!t.isfinite().all().item<bool>())
        {
            t.Dispose();
            throw new InvalidDataException($"{Where()}: contains NaN or infinity");
        }
        return t;
    }
}
