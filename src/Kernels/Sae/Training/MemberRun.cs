using static MMInterp.Kernels.Tensors.Scalars;
using MMInterp.Kernels.Sae.Metrics;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>The live state of one SAE in a sweep and its per-step update.</summary>
internal sealed class MemberRun : IDisposable
{
    public SweepMember Member { get; }
    public string Dir { get; }
    public SparseAutoencoder Sae { get; }
    public MetricsAccumulator Accumulator { get; }
    private readonly AdamOptimizer _adam;
    private readonly DeadFeatureTracker _tracker;
    private readonly IGradientKernel _kernel;
    private readonly Dictionary<string, Tensor> _grads;
    private readonly List<SaeMetrics> _history = [];
    private string? _lastCheckpoint;
    private double _lr, _lambda;

    /// <summary>The step this member's own run stands at when training starts (its checkpoint's step, or 0): in a
    /// shared-read run resumed from checkpoints at different steps, it sits out the batches before it.</summary>
    public long StartStep { get; private init; }
    /// <summary>Dropped before the end (its run was cancelled, or it diverged); no longer stepped.</summary>
    public bool Left { get; private set; }
    public long LeftAt { get; private set; }
    public string? Error { get; private set; }

    /// <summary>Whether this member trains on the batch of <paramref name="step"/>.</summary>
    public bool TrainsAt(long step) => !Left && step >= StartStep;

    public void Leave(long step, string? error) { Left = true; LeftAt = step; Error = error; }

    private MemberRun(SweepMember member, string dir, SparseAutoencoder sae, AdamOptimizer adam, DeadFeatureTracker tracker, Device device)
    {
        Member = member; Dir = dir; Sae = sae; _adam = adam; _tracker = tracker;
        _kernel = GradientKernels.For(member.Sae.Kind, member.Training.UseAutograd);
        _grads = sae.Parameters.ToDictionary(p => p.Name, p => zeros_like(p.Param).detach().DetachFromDisposeScope());
        Accumulator = new MetricsAccumulator(member.Sae.DSae, device);
        Directory.CreateDirectory(dir);
    }

    public static MemberRun Fresh(SweepMember member, string dir, SparseAutoencoder sae, Device device) =>
        new(member, dir, sae, new AdamOptimizer(member.Training, sae.Parameters),
            new DeadFeatureTracker(member.Sae.DSae, member.Training.DeadAfterRows, device), device);

    public static MemberRun Restore(SweepMember member, string dir, SaeCheckpoint.TrainingState st, Device device)
    {
        var adam = new AdamOptimizer(member.Training, st.Sae.Parameters);
        using (no_grad())
            foreach (var (name, _) in st.Sae.Parameters) { adam.M[name].copy_(st.AdamM[name]); adam.V[name].copy_(st.AdamV[name]); }
        var tracker = new DeadFeatureTracker(member.Sae.DSae, member.Training.DeadAfterRows, device);
        tracker.RowsSinceFired.copy_(st.RowsSinceFired);
        foreach (var t in st.AdamM.Values.Concat(st.AdamV.Values).Append(st.RowsSinceFired)) t.Dispose();
        return new MemberRun(member, dir, st.Sae, adam, tracker, device) { _lastCheckpoint = Path.Combine(dir, "checkpoint.safetensors"), StartStep = st.Step };
    }

    /// <summary>The last step's loss, FVU and L0 (NaN until a step ran with figures on).</summary>
    public (double Loss, double Fvu, double L0) LastFigures { get; private set; } = (double.NaN, double.NaN, double.NaN);

    /// <param name="figures">Also keep this batch's loss, FVU and L0 in <see cref="LastFigures"/> (live progress).</param>
    public void Step(Tensor x, long step, long totalSteps, long seed, bool figures = false)
    {
        try { StepCore(x, step, totalSteps, seed, figures); }
        finally { Release(); }
    }

    private void StepCore(Tensor x, long step, long totalSteps, long seed, bool figures)
    {
        using var scope = NewDisposeScope();
        var tc = Member.Training;
        _lr = Schedules.LearningRate(tc, step, totalSteps);
        _lambda = Schedules.SparsityCoefficient(tc, step);
        Tensor xn;
        using (no_grad()) xn = Sae.Normalize(x).contiguous();
        var dead = tc.DeadFeatures == DeadFeatureStrategy.AuxK ? _tracker.DeadMask() : null;
        var fire = zeros(Member.Sae.DSae, device: x.device);
        var r = _kernel.Compute(Sae, xn, new SaeLossOptions(_lambda, dead, tc.AuxK, tc.AuxCoefficient), _grads, fire);
        if (!double.IsFinite(r.Total)) throw new NonFiniteTrainingException(Member.Name, step, "the loss", _lastCheckpoint);

        using var noGrad = no_grad();
        double scale = GradientClipping.Scale(_grads.Values, tc.MaxGradNorm, out double gradNorm);
        if (!double.IsFinite(gradNorm)) throw new NonFiniteTrainingException(Member.Name, step, "the gradient", _lastCheckpoint);

        var W_dec = Sae.W_dec.detach();
        if (Member.Sae.UnitNormDecoder)
        {
            // Remove the component of each row's gradient along the (unit) row, so Adam moves along the sphere.
            var gd = _grads["W_dec"];
            gd.sub_(W_dec * (gd * W_dec).sum(1, keepdim: true));
        }
        _adam.Step(Sae.Parameters, _grads, step + 1, _lr, scale);
        if (Member.Sae.UnitNormDecoder) W_dec.div_(W_dec.norm(1, keepdim: true).clamp_min(S(1e-12)));

        _tracker.Update(fire, x.shape[0]);
        Accumulator.FireCounts.add_(fire);
        double dev = Sq(xn - xn.mean([0], keepdim: true)).sum().item<float>();
        Accumulator.Add(r, x.shape[0], dev);
        if (figures)
        {
            long rows = x.shape[0];
            LastFigures = (r.Total, dev > 0 ? r.Mse * rows / dev : double.NaN, fire.sum().item<float>() / (double)rows);
        }
        if (tc.DeadFeatures == DeadFeatureStrategy.Resample && (step + 1) % tc.ResampleEvery == 0)
            Resampler.Resample(Sae, _adam, _tracker, xn, seed, step);
    }

    public SaeMetrics Log(long done, long total, TrainerHooks hooks, bool histogram)
    {
        if (histogram)
            DensityHistogram.WritePng(Path.Combine(Dir, $"density-{done:D8}.png"), Accumulator.Density(), $"{Member.Name} step {done}");
        double? downstream = hooks.DownstreamMetric?.Invoke(Sae);
        var m = Accumulator.Take(done, _lr, _lambda, Member.Training.DenseThreshold, downstream);
        _history.Add(m);
        hooks.Progress?.Invoke(new TrainingProgress(Member.Name, done, total, m));
        return m;
    }

    public string CheckpointPath => Path.Combine(Dir, "checkpoint.safetensors");

    public void SaveCheckpoint(long step, long dataPosition)
    {
        var path = CheckpointPath;
        SaeCheckpoint.SaveTraining(path, Sae, _adam, _tracker, Member.Training, step, dataPosition);
        _lastCheckpoint = path;
    }

    public SaeRunResult Result(bool completed, long step, string? weights, string? png, SaeMetrics? final = null, float[]? density = null) =>
        new(Member.Name, Member.Sae, Member.Training, completed, step, _history.ToList(), final, density ?? [],
            Path.Combine(Dir, "checkpoint.safetensors"), weights, png, Error);

    public void Dispose()
    {
        Sae.Dispose(); _adam.Dispose(); _tracker.Dispose(); Accumulator.Dispose();
        foreach (var g in _grads.Values) g.Dispose();
        (_kernel as IDisposable)?.Dispose();
    }
}
