using System.Text.Json;
using System.Text.Json.Serialization;

namespace MMInterp.Kernels.Sae.Training;

public enum DeadFeatureStrategy { None, AuxK, Resample }

/// <summary>
/// Optimiser and loss schedule of one SAE (SAELens names where they exist: lr, lr_warm_up_steps, lr_decay_steps,
/// l1_coefficient, l1_warm_up_steps, dead_feature_window). Batch size, step count and seed belong to the sweep
/// (<see cref="SweepConfig"/>) because all members see the same batches.
/// </summary>
public sealed record SaeTrainingConfig
{
    public double Lr { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double AdamEps { get; init; } = 1e-8;
    /// <summary>Linear warm-up of the learning rate from 0 over this many steps.</summary>
    public int LrWarmupSteps { get; init; } = 0;
    /// <summary>Linear decay of the learning rate to 0 over the final this-many steps.</summary>
    public int LrDecaySteps { get; init; } = 0;
    /// <summary>L1 coefficient (ReLU) or L0 coefficient (JumpReLU); ignored by TopK/BatchTopK.</summary>
    public double SparsityCoefficient { get; init; } = 1.0;
    /// <summary>Linear warm-up of the sparsity coefficient from 0 over this many steps.</summary>
    public int SparsityWarmupSteps { get; init; } = 0;
    /// <summary>Clip the global gradient norm to this value; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public DeadFeatureStrategy DeadFeatures { get; init; } = DeadFeatureStrategy.None;
    /// <summary>A feature is dead when it has not fired for this many training rows (tokens).</summary>
    public long DeadAfterRows { get; init; } = 10_000;
    /// <summary>Aux-K: dead latents used to model the residual (the TopK paper uses d/2).</summary>
    public int AuxK { get; init; } = 256;
    /// <summary>Aux-K loss coefficient (the TopK paper uses 1/32).</summary>
    public double AuxCoefficient { get; init; } = 1.0 / 32;
    /// <summary>Resampling: check for dead features every this many steps.</summary>
    public int ResampleEvery { get; init; } = 500;
    /// <summary>Density above which a feature counts as dense in the metrics.</summary>
    public double DenseThreshold { get; init; } = 0.1;
    /// <summary>Use autograd instead of the hand-written gradients (reference path; slower).</summary>
    public bool UseAutograd { get; init; } = false;

    public SaeTrainingConfig Validate()
    {
        static void Positive(double v, string name) { if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentException($"{name} must be positive and finite, got {v}", name); }
        static void NonNeg(double v, string name) { if (!(v >= 0) || double.IsInfinity(v)) throw new ArgumentException($"{name} must be >= 0 and finite, got {v}", name); }
        Positive(Lr, nameof(Lr));
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"{nameof(Beta1)} must be in [0,1), got {Beta1}", nameof(Beta1));
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"{nameof(Beta2)} must be in [0,1), got {Beta2}", nameof(Beta2));
        Positive(AdamEps, nameof(AdamEps));
        NonNeg(LrWarmupSteps, nameof(LrWarmupSteps));
        NonNeg(LrDecaySteps, nameof(LrDecaySteps));
        NonNeg(SparsityCoefficient, nameof(SparsityCoefficient));
        NonNeg(SparsityWarmupSteps, nameof(SparsityWarmupSteps));
        NonNeg(MaxGradNorm, nameof(MaxGradNorm));
        if (!Enum.IsDefined(DeadFeatures)) throw new ArgumentException($"{nameof(DeadFeatures)}: unknown strategy {(int)DeadFeatures}", nameof(DeadFeatures));
        Positive(DeadAfterRows, nameof(DeadAfterRows));
        Positive(AuxK, nameof(AuxK));
        NonNeg(AuxCoefficient, nameof(AuxCoefficient));
        Positive(ResampleEvery, nameof(ResampleEvery));
        if (!(DenseThreshold > 0 && DenseThreshold <= 1)) throw new ArgumentException($"{nameof(DenseThreshold)} must be in (0,1], got {DenseThreshold}", nameof(DenseThreshold));
        return this;
    }

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };
    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static SaeTrainingConfig FromJson(string json)
    {
        try { return (JsonSerializer.Deserialize<SaeTrainingConfig>(json, Json) ?? throw new ArgumentException("training config json is empty")).Validate(); }
        catch (JsonException e) { throw new ArgumentException($"training config is not valid JSON ({e.Message})", e); }
    }
}

/// <summary>One SAE of a sweep: a name (its sub-directory), its architecture and its optimiser settings.</summary>
public sealed record SweepMember(string Name, SaeConfig Sae, SaeTrainingConfig Training);

/// <summary>What all members share: the batches (size, count, order) and the logging/checkpoint cadence.</summary>
public sealed record SweepConfig
{
    public required IReadOnlyList<SweepMember> Members { get; init; }
    public int BatchSize { get; init; } = 4096;
    public long TotalSteps { get; init; } = 1000;
    public long Seed { get; init; } = 0;
    public int LogEvery { get; init; } = 100;
    /// <summary>Save a resumable checkpoint every this many steps (and always at the end or on stop); 0 = only then.</summary>
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Also write density-STEP.png at every log interval (the final density.png is always written).</summary>
    public bool HistogramEachLog { get; init; } = true;
    /// <summary>Batches used once at the start to estimate the input normalisation factor.</summary>
    public int NormEstimateBatches { get; init; } = 4;

    public SweepConfig Validate()
    {
        if (Members is null || Members.Count == 0) throw new ArgumentException($"{nameof(Members)} must name at least one SAE", nameof(Members));
        var names = new HashSet<string>();
        foreach (var m in Members)
        {
            if (string.IsNullOrWhiteSpace(m.Name) || m.Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || m.Name is "." or "..")
                throw new ArgumentException($"{nameof(SweepMember.Name)} '{m.Name}' is not a usable directory name", nameof(SweepMember.Name));
            if (!names.Add(m.Name)) throw new ArgumentException($"{nameof(SweepMember.Name)} '{m.Name}' appears twice", nameof(SweepMember.Name));
            m.Sae.Validate();
            m.Training.Validate();
            if (m.Sae.DIn != Members[0].Sae.DIn)
                throw new ArgumentException($"{nameof(SaeConfig.DIn)}: member '{m.Name}' has {m.Sae.DIn}, '{Members[0].Name}' has {Members[0].Sae.DIn}", nameof(SaeConfig.DIn));
        }
        if (BatchSize <= 0) throw new ArgumentException($"{nameof(BatchSize)} must be positive, got {BatchSize}", nameof(BatchSize));
        if (TotalSteps <= 0) throw new ArgumentException($"{nameof(TotalSteps)} must be positive, got {TotalSteps}", nameof(TotalSteps));
        if (LogEvery <= 0) throw new ArgumentException($"{nameof(LogEvery)} must be positive, got {LogEvery}", nameof(LogEvery));
        if (CheckpointEvery < 0) throw new ArgumentException($"{nameof(CheckpointEvery)} must be >= 0, got {CheckpointEvery}", nameof(CheckpointEvery));
        if (NormEstimateBatches <= 0) throw new ArgumentException($"{nameof(NormEstimateBatches)} must be positive, got {NormEstimateBatches}", nameof(NormEstimateBatches));
        SaeTrainingMemory.Check(Members.Select(m => m.Sae).ToList(), BatchSize);
        return this;
    }
}
