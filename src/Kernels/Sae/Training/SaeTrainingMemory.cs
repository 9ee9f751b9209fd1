using MMInterp.Kernels.Tensors;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// What training SAEs needs in memory, estimated from their configs and the batch size before anything is allocated:
/// per SAE its parameters four times over (weights, gradients, Adam's two moments), plus the batch and the largest
/// member's per-row intermediates (pre-activations, activations and their gradient at d_sae wide; reconstruction and
/// error at d_in wide). A lower bound, so a refusal is certain to be right; it stops `--d-sae 2147483647` or
/// `--batch 2147483647` with one line instead of a process that grows until it is killed.
/// </summary>
public static class SaeTrainingMemory
{
    /// <summary>The estimate in bytes.</summary>
    public static double Bytes(IReadOnlyCollection<SaeConfig> members, int batchSize)
    {
        if (members.Count == 0) return 0;
        double batch = batchSize;
        var state = members.Sum(m => 4 * m.ParameterCount) * sizeof(float);
        var rows = members.Max(m => batch * (3.0 * m.DSae + 2.0 * m.DIn)) * sizeof(float);
        return state + batch * members.First().DIn * sizeof(float) + rows;
    }

    /// <summary>Throws an ArgumentException naming the size that does not fit this machine's memory.</summary>
    public static void Check(IReadOnlyCollection<SaeConfig> members, int batchSize)
    {
        foreach (var m in members)
            if (MemoryBudget.Exceeds(4 * m.ParameterCount * sizeof(float), "memory for its weights, gradients and Adam state") is { } alone)
                throw new ArgumentException($"{nameof(SaeConfig.DSae)}: an SAE of d_in {m.DIn} x d_sae {m.DSae} {alone}", nameof(SaeConfig.DSae));
        if (MemoryBudget.Exceeds(Bytes(members, batchSize), "memory") is { } problem)
            throw new ArgumentException($"{nameof(SweepConfig.BatchSize)}: training {members.Count} SAE(s) (d_sae up to {members.Max(m => m.DSae)}) on batches of {batchSize} rows {problem}",
                nameof(SweepConfig.BatchSize));
    }
}
