using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

/// <summary>The goldens tests/reference/llama_meta_reference.py wrote from Meta's reference Llama code: an HF
/// directory (config.json + BF16 model.safetensors) and golden.safetensors (input_ids, logits, greedy).</summary>
internal static class MetaGolden
{
    public static readonly string[] Cases = ["llama2_gqa", "llama3_scaled_tied", "qwen2_bias"];

    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "LlmGolden", name);

    /// <summary>input_ids [B,T] int64, logits [B,T,V] float32, greedy [B,N] int64 (caller disposes).</summary>
    public static (Tensor Ids, Tensor Logits, Tensor Greedy) Outputs(string name)
    {
        var t = SafeTensors.Load(Path.Combine(Dir(name), "golden.safetensors")).Tensors;
        return (t["input_ids"], t["logits"], t["greedy"]);
    }

    public static long[][] Rows(Tensor greedy) =>
        Enumerable.Range(0, (int)greedy.shape[0]).Select(r => greedy[r].data<long>().ToArray()).ToArray();

    /// <summary>A copy of a case's directory with every weight converted to <paramref name="dtype"/>, in
    /// <paramref name="shards"/> files (1: model.safetensors; more: HF's sharded layout with its index).</summary>
    public static string Converted(string name, ScalarType dtype, int shards)
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-llm-").FullName;
        File.Copy(Path.Combine(Dir(name), "config.json"), Path.Combine(dir, "config.json"));
        using var scope = NewDisposeScope();
        var state = SafeTensors.Load(Path.Combine(Dir(name), "model.safetensors")).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.to(dtype));
        if (shards == 1) SafeTensors.Save(Path.Combine(dir, "model.safetensors"), state);
        else Kernels.Checkpoints.HfShardedWriter.Write(dir, state, shards);
        return dir;
    }
}
