using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Diagnostics;
using MMInterp.Kernels.Sae.Metrics;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// Trains every SAE of a sweep on the same batches in one pass over the data (one batch read, many SAEs stepped);
/// each member's result is what a run of that member alone (same seed and batches) gives.
/// Per step and member: gradients (hand-written or autograd), NaN/inf check before any update, global-norm clipping,
/// unit-norm decoder projection, fused Adam, decoder renormalisation, dead-feature bookkeeping and resampling.
/// Metrics (and, optionally, a density histogram PNG) every LogEvery steps and at the end; optionally each step's
/// loss, FVU and L0 for live progress (<see cref="TrainerHooks.Stepped"/>), which are never recorded.
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
                    // A member that has not reached its own step yet keeps the later checkpoint it has.
                    foreach (var m in members.Where(m => m.TrainsAt(step))) m.SaveCheckpoint(step, data.Position);
                    return members.Select(m => m.Result(false, m.Left ? m.LeftAt : Math.Max(step, m.StartStep), null, null)).ToList();
                }
                foreach (var m in members.Where(m => !m.Left && hooks.MemberStopped?.Invoke(m.Member.Name) == true)) m.Leave(step, null);
                if (members.All(m => m.Left)) break;
                using (var scope = NewDisposeScope())
                {
                    // One read (and shuffle) of the batch for every member.
                    var x = data.NextBatch(sweep.BatchSize).to(device);
                    foreach (var m in members.Where(m => m.TrainsAt(step)))
                    {
                        try { m.Step(x, step, sweep.TotalSteps, sweep.Seed, figures: hooks.Stepped is not null); }
                        catch (NonFiniteTrainingException e) when (hooks.MemberFailed is { } failed)
                        {
                            m.Leave(step, e.Message);
                            failed(m.Member.Name, e);
                        }
                    }
                }
                long done = step + 1;
                var stepped = members.Where(m => m.TrainsAt(step)).ToList();
                if (hooks.Stepped is { } live)
                    foreach (var m in stepped)
                        live(new StepFigures(m.Member.Name, done, sweep.TotalSteps, m.LastFigures.Loss, m.LastFigures.Fvu, m.LastFigures.L0));
                if (done % sweep.LogEvery == 0 && done != sweep.TotalSteps)
                    foreach (var m in stepped) m.Log(done, sweep.TotalSteps, hooks, sweep.HistogramEachLog);
                if (sweep.CheckpointEvery > 0 && done % sweep.CheckpointEvery == 0 && done != sweep.TotalSteps)
                    foreach (var m in stepped)
                    {
                        m.SaveCheckpoint(done, data.Position);
                        hooks.Checkpointed?.Invoke(m.Member.Name, done, m.CheckpointPath);
                    }
            }
            var results = new List<SaeRunResult>();
            foreach (var m in members)
            {
                if (m.Left)
                {
                    results.Add(m.Result(false, m.LeftAt, null, null));
                    continue;
                }
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

    /// <summary>
    /// Builds or restores every member and positions the data; returns the first step to run. Members restored from
    /// checkpoints at different steps resume together from the earliest (see <see cref="TrainerHooks.Resume"/>); when
    /// any member starts fresh the stream starts at row 0.
    /// </summary>
    private static long Start(SweepConfig sweep, IActivationSource data, string workDir, TrainerHooks hooks, Device device, List<MemberRun> members)
    {
        var restored = new MemberRun?[sweep.Members.Count];
        try
        {
            for (int i = 0; i < sweep.Members.Count; i++)
            {
                var member = sweep.Members[i];
                var path = Path.Combine(workDir, member.Name, "checkpoint.safetensors");
                if (!hooks.Resume || !File.Exists(path)) continue;
                var st = SaeCheckpoint.LoadTraining(path, device);
                if (st.Sae.Config != member.Sae with { } || st.Training != member.Training)
                {
                    st.Sae.Dispose();
                    throw new InvalidDataException($"cannot resume member '{member.Name}': its checkpoint was written with a different configuration");
                }
                // Every member reads the one stream from row 0, so a checkpoint at step s stands at row s * batch.
                if (st.DataPosition != st.Step * sweep.BatchSize)
                {
                    st.Sae.Dispose();
                    throw new InvalidDataException($"cannot resume member '{member.Name}': its checkpoint at step {st.Step} stands at row {st.DataPosition}, not {st.Step * sweep.BatchSize} (written with another batch size?)");
                }
                restored[i] = MemberRun.Restore(member, Path.GetDirectoryName(path)!, st, device);
            }
            if (restored.All(r => r is not null))
            {
                members.AddRange(restored!);
                long first = members.Min(m => m.StartStep);
                data.Seek(first * sweep.BatchSize);
                return first;
            }
            EstimateNormScales(sweep, data, device, out var scales);
            data.Seek(0);
            for (int i = 0; i < sweep.Members.Count; i++)
            {
                if (restored[i] is { } r) { members.Add(r); continue; }
                var member = sweep.Members[i];
                var sae = SaeFactory.Create(member.Sae, device);
                sae.NormScale = member.Sae.NormalizeInput ? scales : 1.0;
                members.Add(MemberRun.Fresh(member, Path.Combine(workDir, member.Name), sae, device));
            }
            return 0;
        }
        catch
        {
            foreach (var r in restored) if (r is not null && !members.Contains(r)) r.Dispose();
            throw;
        }
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
