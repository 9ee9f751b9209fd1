using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Vlm;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Causal-tracing settings. The image tokens (adapter output) are corrupted with Gaussian noise of standard
/// deviation <see cref="NoiseMultiple"/> x the std of the clean image-token embeddings (ROME's rule: 3x), averaged over
/// <see cref="NoiseSamples"/> fixed noise draws. Windows restore a module's output over <see cref="Window"/> adjacent layers.</summary>
public sealed record TracingOptions
{
    public double NoiseMultiple { get; init; } = 3.0;
    public int NoiseSamples { get; init; } = 3;
    public int Window { get; init; } = 2;
    public long Seed { get; init; } = 0;
    /// <summary>Draws of random non-object tokens for the "restore random tokens" control.</summary>
    public int ControlDraws { get; init; } = 8;
    /// <summary>Most sequences per restoration forward (0: a whole row of positions x samples at once); bounds memory on a large model.</summary>
    public int BatchRows { get; init; }
    /// <summary>Which maps to compute: resid, attn, mlp, attn_window, mlp_window (resid is always computed: the object share needs it).</summary>
    public IReadOnlyList<string> Kinds { get; init; } = ["resid", "attn", "mlp", "attn_window", "mlp_window"];

    public TracingOptions Validate()
    {
        if (!(NoiseMultiple > 0)) throw new ArgumentException($"NoiseMultiple must be positive, got {NoiseMultiple}", nameof(NoiseMultiple));
        if (NoiseSamples < 1) throw new ArgumentException($"NoiseSamples must be at least 1, got {NoiseSamples}", nameof(NoiseSamples));
        if (Window < 1) throw new ArgumentException($"Window must be at least 1, got {Window}", nameof(Window));
        var unknown = Kinds.Where(k => k is not ("resid" or "attn" or "mlp" or "attn_window" or "mlp_window")).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown tracing kind(s) {string.Join(", ", unknown)}: expected resid, attn, mlp, attn_window, mlp_window", nameof(Kinds));
        if (BatchRows < 0) throw new ArgumentException($"BatchRows must be 0 (all) or positive, got {BatchRows}", nameof(BatchRows));
        if (ControlDraws < 1) throw new ArgumentException($"ControlDraws must be at least 1, got {ControlDraws}", nameof(ControlDraws));
        return this;
    }
}

/// <summary>One restoration map: Prob[n, row, position] = answer probability of prompt n when only that state is restored.</summary>
public sealed record TracingMap(string Kind, IReadOnlyList<string> Rows, double[,,] Prob)
{
    /// <summary>Mean over prompts. [rows, positions]</summary>
    public double[,] Mean()
    {
        var (n, r, t) = (Prob.GetLength(0), Prob.GetLength(1), Prob.GetLength(2));
        var m = new double[r, t];
        for (var i = 0; i < n; i++) for (var a = 0; a < r; a++) for (var b = 0; b < t; b++) m[a, b] += Prob[i, a, b] / n;
        return m;
    }
}

/// <summary>Causal tracing result. Maps: "resid" (rows embed, block 0..L-1), "attn", "mlp" (rows block i), "attn_window",
/// "mlp_window" (rows: windows of layers); columns: the P image tokens, then the last <see cref="QuestionTokens"/> text
/// positions up to the answer. ObjectShare: share of each prompt's top-k image tokens (k = its object patch count,
/// score = best restored probability over residual rows) that hold the asked-about object; ChanceShare: the same for
/// k random tokens (k/P). Restore*: answer probability when all object tokens, or as many random non-object tokens,
/// are restored at the LM input. These four are over the prompts that say where the object is (<see cref="Scored"/>);
/// NaN when none does.</summary>
public sealed record TracingResult(
    double NoiseStd, double NoiseMultiple, int ImageTokens, int QuestionTokens,
    double[] CleanProb, double[] CorruptProb, IReadOnlyDictionary<string, TracingMap> Maps,
    double ObjectShare, double ChanceShare, double RestoreObjectProb, double RestoreRandomProb, bool[,] ObjectPatches)
{
    /// <summary>Per prompt: its object patches were given (the localisation figures count it).</summary>
    public bool[] Scored { get; init; } = [];
    public bool AnyScored => Scored.Any(x => x);
    public double MeanClean => CleanProb.Average();
    public double MeanCorrupt => CorruptProb.Average();
}

/// <summary>ROME-style causal tracing over (LM layer, token position) for a VLM (<see cref="IVlmSubject"/>).</summary>
public static class CausalTracing
{
    public static TracingResult Run(IShapesVlm model, VlmPrompts prompts, TracingOptions? options = null)
    {
        model.SetTraining(false);
        using var subject = new ZooVlmSubject(model, prompts);
        return Run(subject, options);
    }

    public static TracingResult Run(IVlmSubject subject, TracingOptions? options = null)
    {
        var o = (options ?? new TracingOptions()).Validate();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = subject.Device;
        var (n, p, layers) = (subject.Count, subject.ImageTokens, subject.Layers);
        var q = VlmSubjects.TextColumns(subject);
        if (q < 1) throw new ArgumentException("a prompt has its answer position inside the image tokens");
        var t = p + q;
        var cleanAll = subject is ZooVlmSubject zoo ? zoo.AllImageTokens : cat(Enumerable.Range(0, n).Select(subject.CleanImageTokens).ToList(), 0);
        var noiseStd = o.NoiseMultiple * cleanAll.std().item<float>();
        var generator = new Generator((ulong)o.Seed, device);
        using var std = noiseStd.ToScalar();
        var noise = randn([o.NoiseSamples, p, cleanAll.shape[2]], generator: generator, device: device).mul(std);
        var given = Enumerable.Range(0, n).Select(subject.ObjectPatches).ToArray();
        var scored = given.Select(g => g is not null).ToArray();
        var objects = given.SelectMany(g => g ?? new bool[p]).ToArray();
        var rowsOf = new Dictionary<string, List<(string Label, string[] Hooks)>>
        {
            ["resid"] = Enumerable.Range(-1, layers + 1).Select(l => (l < 0 ? "embed" : $"block {l}", new[] { VlmInterventions.HookName("resid", l) })).ToList(),
            ["attn"] = Enumerable.Range(0, layers).Select(l => ($"block {l}", new[] { VlmInterventions.HookName("attn", l) })).ToList(),
            ["mlp"] = Enumerable.Range(0, layers).Select(l => ($"block {l}", new[] { VlmInterventions.HookName("mlp", l) })).ToList(),
        };
        foreach (var kind in new[] { "attn", "mlp" })
            rowsOf[$"{kind}_window"] = Windows(layers, o.Window).Select(w => ($"blocks {w.First()}-{w.Last()}", w.Select(l => VlmInterventions.HookName(kind, l)).ToArray())).ToList();
        foreach (var kind in rowsOf.Keys.Where(k => k != "resid" && !o.Kinds.Contains(k)).ToList()) rowsOf.Remove(kind);
        var maps = rowsOf.ToDictionary(k => k.Key, k => new double[n, k.Value.Count, t]);
        var restored = rowsOf.Values.SelectMany(rows => rows.SelectMany(r => r.Hooks)).ToHashSet();
        var cleanProb = new double[n];
        var corruptProb = new double[n];
        var shares = new List<double>();
        var chance = new List<double>();
        var restoreObject = new List<double>();
        var restoreRandom = new List<double>();
        var rng = new Random((int)o.Seed);
        var s = o.NoiseSamples;
        for (var i = 0; i < n; i++)
        {
            using var promptScope = NewDisposeScope();
            var tokens = subject.CleanImageTokens(i);
            using var cache = new ActivationCache();
            using (subject.Hooks.Scope())
            {
                // Only the states restored (a 7B model's attention patterns alone would be gigabytes).
                subject.Hooks.Add(name => restored.Contains(name), Hook.Cache(cache));
                cleanProb[i] = VlmSubjects.AnswerProbability(subject, tokens, [i]).item<float>();
            }
            var corrupted = tokens + noise; // [S, P, D]
            corruptProb[i] = VlmSubjects.AnswerProbability(subject, corrupted, Repeat(i, s)).mean().item<float>();

            // Every traced position of one row in one batch (or in chunks of BatchRows): element b = position * S + sample.
            var batchSize = t * s;
            var traced = tensor(VlmSubjects.TracedPositions(subject, i, q), device: device);
            var positions = traced.repeat_interleave(s);
            var chunk = o.BatchRows > 0 ? Math.Min(o.BatchRows, batchSize) : batchSize;
            foreach (var (kind, rows) in rowsOf)
            {
                for (var r = 0; r < rows.Count; r++)
                {
                    using var rowScope = NewDisposeScope();
                    var parts = new List<Tensor>();
                    for (var from = 0; from < batchSize; from += chunk)
                    {
                        var size = Math.Min(chunk, batchSize - from);
                        using (subject.Hooks.Scope())
                        {
                            foreach (var hook in rows[r].Hooks)
                                subject.Hooks.Add(hook, VlmInterventions.RestoreAt(cache[hook].squeeze(0), arange(size, device: device), positions.narrow(0, from, size)));
                            var batchTokens = size == batchSize ? corrupted.repeat(t, 1, 1) : corrupted.index_select(0, arange(from, from + size, device: device).remainder(s));
                            parts.Add(VlmSubjects.AnswerProbability(subject, batchTokens, Repeat(i, size)));
                        }
                    }
                    var prob = (parts.Count == 1 ? parts[0] : cat(parts, 0)).view(t, s).mean([1L]).cpu().data<float>().ToArray();
                    for (var j = 0; j < t; j++) maps[kind][i, r, j] = prob[j];
                }
            }
            if (!scored[i]) continue;

            // Ground truth: do the image tokens whose restoration matters most hold the asked-about object?
            var onObject = Enumerable.Range(0, p).Where(j => objects[i * p + j]).ToList();
            var k = Math.Max(1, onObject.Count);
            var score = Enumerable.Range(0, p).Select(j => Enumerable.Range(0, layers + 1).Max(r => maps["resid"][i, r, j])).ToArray();
            var top = Enumerable.Range(0, p).OrderByDescending(j => score[j]).Take(k).ToList();
            shares.Add((double)top.Count(j => objects[i * p + j]) / k);
            chance.Add((double)k / p);
            var offObject = Enumerable.Range(0, p).Where(j => !objects[i * p + j]).ToList();
            restoreObject.Add(RestoreSet(subject, i, corrupted, tokens, onObject));
            restoreRandom.Add(Enumerable.Range(0, o.ControlDraws)
                .Select(_ => RestoreSet(subject, i, corrupted, tokens, offObject.OrderBy(_ => rng.Next()).Take(onObject.Count).ToList())).Average());
        }
        var objectGrid = new bool[n, p];
        for (var i = 0; i < n; i++) for (var j = 0; j < p; j++) objectGrid[i, j] = objects[i * p + j];
        static double Mean(List<double> xs) => xs.Count == 0 ? double.NaN : xs.Average();
        return new TracingResult(noiseStd, o.NoiseMultiple, p, q, cleanProb, corruptProb,
            maps.ToDictionary(m => m.Key, m => new TracingMap(m.Key, rowsOf[m.Key].Select(r => r.Label).ToList(), m.Value)),
            Mean(shares), Mean(chance), Mean(restoreObject), Mean(restoreRandom), objectGrid) { Scored = scored };
    }

    static int[] Repeat(int prompt, int count) => Enumerable.Repeat(prompt, count).ToArray();

    /// <summary>Answer probability (mean over noise draws) with the given image tokens restored at the LM input.</summary>
    static double RestoreSet(IVlmSubject subject, int prompt, Tensor corrupted, Tensor clean, IReadOnlyList<int> restore)
    {
        using var scope = NewDisposeScope();
        var tokens = corrupted.clone();
        if (restore.Count > 0)
        {
            var index = tensor(restore.Select(x => (long)x).ToArray(), device: tokens.device);
            tokens.index_copy_(1, index, clean.index_select(1, index).expand(tokens.shape[0], -1, -1));
        }
        return VlmSubjects.AnswerProbability(subject, tokens, Repeat(prompt, (int)tokens.shape[0])).mean().item<float>();
    }

    /// <summary>Windows of <paramref name="size"/> adjacent layers centred on each layer, clipped at the ends (ROME).</summary>
    public static IReadOnlyList<int[]> Windows(int layers, int size) =>
        Enumerable.Range(0, layers).Select(l =>
        {
            var from = Math.Max(0, Math.Min(l - size / 2, layers - size));
            var to = Math.Min(layers - 1, from + size - 1);
            return Enumerable.Range(from, to - from + 1).ToArray();
        }).DistinctBy(w => string.Join(",", w)).ToList();
}
