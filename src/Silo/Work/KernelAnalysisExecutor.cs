using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Experiments;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Tensors;
using MMInterp.Silo.Work.Analysis;

namespace MMInterp.Silo.Work;

/// <summary>
/// Runs any analysis of <see cref="AnalysisCatalog"/> by kind: loads its inputs from the registry and the store, runs it
/// on the thread pool with a scratch directory, relays its progress to the grain (a new stage's note at once, at most
/// ten a second; step changes within a stage at most once a second), and stores what it produced (<see cref="AnalysisRecords"/>).
/// </summary>
public sealed class KernelAnalysisExecutor(RegistryStore registry, ArtefactCache artefacts, ModelDirectories models, DatasetSource datasets) : IAnalysisExecutor
{
    const int Steps = 100;

    public static IReadOnlyList<string> Kinds => AnalysisCatalog.Kinds;

    public async Task<AnalysisOutcome> RunAsync(string experimentId, AnalysisSpec spec, Func<int, int, string, Task> progress, DeviceSlot slot, CancellationToken ct)
    {
        var analysis = AnalysisCatalog.Get(spec.Kind);
        var work = Directory.CreateTempSubdirectory($"mminterp-{spec.Kind}-").FullName;
        try
        {
            var inputs = new AnalysisInputs(registry, artefacts, models, datasets, spec, work, TorchRuntime.ParseDevice(slot.Device));
            var gate = new object();
            var latest = (Step: 0, Note: "starting");
            var sent = (Step: -1, Note: "");
            // Released when the note changes, so a short stage still shows; plain step changes wait for the second.
            using var stageChanged = new SemaphoreSlim(0);
            void Report(double at, string note)
            {
                var step = (int)(Math.Clamp(double.IsFinite(at) ? at : 0, 0, 1) * (Steps - 5));
                bool changed;
                lock (gate)
                {
                    changed = latest.Note != note;
                    latest = (step, note);
                }
                if (changed && stageChanged.CurrentCount == 0) stageChanged.Release();
            }
            var run = Task.Run(() => analysis.RunAsync(inputs, Report, ct), ct);
            Task? stageWait = null;
            while (!run.IsCompleted)
            {
                (int Step, string Note) now;
                lock (gate) now = latest;
                if (now != sent)
                {
                    await progress(now.Step, Steps, now.Note);
                    sent = now;
                }
                // Not cancelled by ct: a cancelled analysis ends the run, and the scratch directory outlives it.
                stageWait ??= stageChanged.WaitAsync(CancellationToken.None);
                if (await Task.WhenAny(run, Task.Delay(1000, CancellationToken.None), stageWait) == stageWait)
                {
                    stageWait = null;
                    await Task.WhenAny(run, Task.Delay(100, CancellationToken.None));
                }
            }
            var result = await run;
            await progress(Steps - 5, Steps, "storing pictures and files");
            var outcome = await AnalysisRecords.StoreAsync(artefacts.Store, result, ct);
            await progress(Steps, Steps, "done");
            return outcome;
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }
}
