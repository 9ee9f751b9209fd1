using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Diagnostics;
using MMInterp.Kernels.Sae.Metrics;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// Trains every SAE of a sweep on the same batches in one pass over the data (one batch read, many SAEs stepped).
/// Per step and member: gradients (hand-written or autograd), NaN/inf check before any update, global-norm clipping,
/// unit-norm decoder projection, fused Adam, decoder renormalisation, dead-feature bookkeeping and resampling.
/// Metrics (and, optionally, a density histogram PNG) every LogEvery steps and at the end.
/// Stopping (cancellation) writes a checkpoint; a later Run on the same directory resumes bit-identically.
/// </summary>
public static class SaeTrainer
{
    public static IReadOnlyList<SaeRunResult> Run(SweepConfig sweep, IActivationSource data, string workDir,
        TrainerHooks? hooks = null, CancellationToken cancel = default, Device? device = null)
    {
        sweep.Validate();
        using var activity = KernelTelemetry.Source.StartActivity("kernel.sae.train");
        activity?.SetTag("mminterp.members", sweep.Members.Count);
        activity?.SetTag("mminterp.steps", sweep.TotalSteps);
        hooks ??= new TrainerHooks();
        device ??= CPU;
        if (data.D != sweep.Members[0].Sae.DIn)
            throw new ArgumentException($"{nameof(SaeConfig.DIn)} is {sweep.Members[0].Sae.DIn} but the activation source has d={data.D}", nameof(SaeConfig.DIn));
        var members = new List<MemberRun>();
        try
        {
            long step = Start(sweep, data, workDir, hooks, device, members);
            for (; step < sweep.TotalSteps; step++)
            {
                if (cancel.IsCancellationRequested)
                {
                    foreach (var m in members) m.SaveCheckpoint(step, data.Position);
                    return members.Select(m => m.Result(false, step, null, null)).ToList();
                }
                using (var scope = NewDisposeScope())
                {
                    var x = data.NextBatch(sweep.BatchSize).to(device);
                    foreach (var m in members) m.Step(x, step, sweep.TotalSteps, sweep.Seed);
                }
                long done = step + 1;
                if (done % sweep.LogEvery == 0 && done != sweep.TotalSteps)
                    foreach (var m in members) m.Log(done, sweep.TotalSteps, hooks, sweep.HistogramEachLog);
                if (sweep.CheckpointEvery > 0 && done % sweep.CheckpointEvery == 0 && done != sweep.TotalSteps)
                    foreach (var m in members)
                    {
                        m.SaveCheckpoint(done, data.Position);
                        hooks.Checkpointed?.Invoke(m.Member.Name, done, m.CheckpointPath);
                    }
            }
            var results = new List<SaeRunResult>();
            foreach (var m in members)
            {
                var density = m.Accumulator.Density();
                var final = m.Log(sweep.TotalSteps, sweep.TotalSteps, hooks, histogram: false);
                m.SaveCheckpoint(sweep.TotalSteps, data.Position);
                var weights = Path.Combine(m.Dir, "sae.safetensors");
                SaeCheckpoint.SaveSae(weights, m.Sae);
                var png = Path.Combine(m.Dir, "density.png");
                DensityHistogram.WritePng(png, density, $"{m.Member.Name} step {sweep.TotalSteps}");
                results.Add(m.Result(true, sweep.TotalSteps, weights, png, final, density));
            }
            return results;
        }
        finally
        {
            foreach (var m in members) m.Dispose();
        }
    }

    /// <summary>Builds or restores every member and positions the data; returns the first step to run.</summary>
    private static long Start(SweepConfig sweep, IActivationSource data, string workDir, TrainerHooks hooks, Device device, List<MemberRun> members)
    {
        var paths = sweep.Members.Select(m => Path.Combine(workDir, m.Name, "checkpoint.safetensors")).ToList();
        int existing = paths.Count(File.Exists);
        if (hooks.Resume && existing > 0)
        {
            if (existing != paths.Count)
                throw new InvalidOperationException($"cannot resume: only {existing} of {paths.Count} members have a checkpoint in '{workDir}'");
            long? step = null, position = null;
            for (int i = 0; i < paths.Count; i++)
            {
                var st = SaeCheckpoint.LoadTraining(paths[i], device);
                var member = sweep.Members[i];
                if (st.Sae.Config != member.Sae with { } || st.Training != member.Training)
                {
                    st.Sae.Dispose();
                    throw new InvalidOperationException($"cannot resume member '{member.Name}': its checkpoint was written with a different configuration");
                }
                if (step is not null && (st.Step != step || st.DataPosition != position))
                    throw new InvalidOperationException($"cannot resume: member '{member.Name}' is at step {st.Step}, others at {step}");
                step = st.Step; position = st.DataPosition;
                members.Add(MemberRun.Restore(member, Path.GetDirectoryName(paths[i])!, st, device));
            }
            data.Seek(position!.Value);
            return step!.Value;
        }
        EstimateNormScales(sweep, data, device, out var scales);
        data.Seek(0);
        for (int i = 0; i < sweep.Members.Count; i++)
        {
            var member = sweep.Members[i];
            var sae = SaeFactory.Create(member.Sae, device);
            sae.NormScale = member.Sae.NormalizeInput ? scales : 1.0;
            members.Add(MemberRun.Fresh(member, Path.Combine(workDir, member.Name), sae, device));
        }
        return 0;
    }

    /// <summary>Factor s with E||s x|| = sqrt(d), from the first NormEstimateBatches batches (SAELens' approach).</summary>
    private static void EstimateNormScales(SweepConfig sweep, IActivationSource data, Device device, out double scale)
    {
        scale = 1.0;
        if (!sweep.Members.Any(m => m.Sae.NormalizeInput)) return;
        data.Seek(0);
        double sum = 0; long rows = 0;
        for (int b = 0; b < sweep.NormEstimateBatches; b++)
        {
            using var x = data.NextBatch(sweep.BatchSize);
            using var n = x.norm(1);
            sum += n.sum().item<float>();
            rows += x.shape[0];
        }
        double mean = sum / rows;
        if (!(mean > 0) || double.IsInfinity(mean))
            throw new InvalidDataException($"cannot normalise inputs: mean activation norm is {mean}");
        scale = Math.Sqrt(data.D) / mean;
    }
}
