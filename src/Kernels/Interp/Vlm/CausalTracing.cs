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
    /// <summary>Which maps to compute: resid, attn, mlp, attn_window, mlp_window (resid is always computed: the object share needs it).</summary>
    public IReadOnlyList<string> Kinds { get; init; } = ["resid", "attn", "mlp", "attn_window", "mlp_window"];

    public TracingOptions Validate()
    {
        if (!(NoiseMultiple > 0)) throw new ArgumentException($"NoiseMultiple must be positive, got {NoiseMultiple}", nameof(NoiseMultiple));
        if (NoiseSamples < 1) throw new ArgumentException($"NoiseSamples must be at least 1, got {NoiseSamples}", nameof(NoiseSamples));
        if (Window < 1) throw new ArgumentException($"Window must be at least 1, got {Window}", nameof(Window));
        var unknown = Kinds.Where(k => k is not ("resid" or "attn" or "mlp" or "attn_window" or "mlp_window")).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown tracing kind(s) {string.Join(", ", unknown)}: expected resid, attn, mlp, attn_window, mlp_window", nameof(Kinds));
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
/// "mlp_window" (rows: windows of layers). ObjectShare: share of each prompt's top-k image tokens (k = its object patch
/// count, score = best restored probability over residual rows) that hold the asked-about object; ChanceShare: the
/// same for k random tokens (k/P). Restore*: answer probability when all object tokens, or as many random non-object
/// tokens, are restored at the LM input.</summary>
public sealed record TracingResult(
    double NoiseStd, double NoiseMultiple, int ImageTokens, int QuestionTokens,
    double[] CleanProb, double[] CorruptProb, IReadOnlyDictionary<string, TracingMap> Maps,
    double ObjectShare, double ChanceShare, double RestoreObjectProb, double RestoreRandomProb, bool[,] ObjectPatches)
{
    public double MeanClean => CleanProb.Average();
    public double MeanCorrupt => CorruptProb.Average();
}

/// <summary>ROME-style causal tracing over (LM layer, token position) for the tiny VLM.</summary>
public static class CausalTracing
{
    public static TracingResult Run(VlmModel model, VlmPrompts prompts, TracingOptions? options = null)
    {
        var o = (options ?? new TracingOptions()).Validate();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var device = model.Device;
        var (n, p, layers) = (prompts.Count, model.Config.ImageTokens, model.LmLayers);
        var q = prompts.QuestionTokens;
        var t = p + q;
        var clean = model.ImageTokens(prompts.Images);
        var noiseStd = o.NoiseMultiple * clean.std().item<float>();
        var generator = new Generator((ulong)o.Seed, device);
        using var std = noiseStd.ToScalar();
        var noise = randn([o.NoiseSamples, p, clean.shape[2]], generator: generator, device: device).mul(std);
        var objects = prompts.ObjectPatches.cpu().data<bool>().ToArray();
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
        var cleanProb = new double[n];
        var corruptProb = new double[n];
        var shares = new double[n];
        var chance = new double[n];
        var restoreObject = new double[n];
        var restoreRandom = new double[n];
        var rng = new Random((int)o.Seed);
        var s = o.NoiseSamples;
        for (var i = 0; i < n; i++)
        {
            using var promptScope = NewDisposeScope();
            var tokens = clean.narrow(0, i, 1);
            var ids = prompts.Ids.narrow(0, i, 1);
            var lengths = prompts.Lengths.narrow(0, i, 1);
            var answer = prompts.Answers.narrow(0, i, 1);
            using var cache = new ActivationCache();
            using (model.Hooks.Scope())
            {
                model.Hooks.Add(name => name.StartsWith("lm.", StringComparison.Ordinal), Hook.Cache(cache));
                cleanProb[i] = VlmInterventions.AnswerProbability(model.AnswerLogitsFromTokens(tokens, ids, lengths), answer).item<float>();
            }
            var corrupted = tokens + noise; // [S, P, D]
            Tensor Expand(Tensor x, long copies) => x.expand(copies, x.shape[1]);
            corruptProb[i] = VlmInterventions.AnswerProbability(
                model.AnswerLogitsFromTokens(corrupted, Expand(ids, s), Expand(lengths.view(1, 1), s).view(-1)), Expand(answer.view(1, 1), s).view(-1)).mean().item<float>();

            // Every position of one row in one batch: element b = position * S + sample.
            var batchSize = t * s;
            var batchTokens = corrupted.repeat(t, 1, 1);
            var batchIds = Expand(ids, batchSize);
            var batchLengths = Expand(lengths.view(1, 1), batchSize).view(-1);
            var batchAnswers = Expand(answer.view(1, 1), batchSize).view(-1);
            var batchIndex = arange(batchSize, device: device);
            var positions = arange(t, device: device).repeat_interleave(s);
            foreach (var (kind, rows) in rowsOf)
            {
                for (var r = 0; r < rows.Count; r++)
                {
                    using var rowScope = NewDisposeScope();
                    using (model.Hooks.Scope())
                    {
                        foreach (var hook in rows[r].Hooks)
                            model.Hooks.Add(hook, VlmInterventions.RestoreAt(cache[hook].squeeze(0), batchIndex, positions));
                        var prob = VlmInterventions.AnswerProbability(model.AnswerLogitsFromTokens(batchTokens, batchIds, batchLengths), batchAnswers)
                            .view(t, s).mean([1L]).cpu().data<float>().ToArray();
                        for (var j = 0; j < t; j++) maps[kind][i, r, j] = prob[j];
                    }
                }
            }

            // Ground truth: do the image tokens whose restoration matters most hold the asked-about object?
            var onObject = Enumerable.Range(0, p).Where(j => objects[i * p + j]).ToList();
            var k = Math.Max(1, onObject.Count);
            var score = Enumerable.Range(0, p).Select(j => Enumerable.Range(0, layers + 1).Max(r => maps["resid"][i, r, j])).ToArray();
            var top = Enumerable.Range(0, p).OrderByDescending(j => score[j]).Take(k).ToList();
            shares[i] = (double)top.Count(j => objects[i * p + j]) / k;
            chance[i] = (double)k / p;
            var offObject = Enumerable.Range(0, p).Where(j => !objects[i * p + j]).ToList();
            restoreObject[i] = RestoreSet(model, corrupted, tokens, ids, lengths, answer, onObject);
            restoreRandom[i] = Enumerable.Range(0, o.ControlDraws)
                .Select(_ => RestoreSet(model, corrupted, tokens, ids, lengths, answer, offObject.OrderBy(_ => rng.Next()).Take(onObject.Count).ToList())).Average();
        }
        var objectGrid = new bool[n, p];
        for (var i = 0; i < n; i++) for (var j = 0; j < p; j++) objectGrid[i, j] = objects[i * p + j];
        return new TracingResult(noiseStd, o.NoiseMultiple, p, q, cleanProb, corruptProb,
            maps.ToDictionary(m => m.Key, m => new TracingMap(m.Key, rowsOf[m.Key].Select(r => r.Label).ToList(), m.Value)),
            shares.Average(), chance.Average(), restoreObject.Average(), restoreRandom.Average(), objectGrid);
    }

    /// <summary>Answer probability (mean over noise draws) with the given image tokens restored at the LM input.</summary>
    static double RestoreSet(VlmModel model, Tensor corrupted, Tensor clean, Tensor ids, Tensor lengths, Tensor answer, IReadOnlyList<int> restore)
    {
        using var scope = NewDisposeScope();
        var tokens = corrupted.clone();
        if (restore.Count > 0)
        {
            var index = tensor(restore.Select(x => (long)x).ToArray(), device: tokens.device);
            tokens.index_copy_(1, index, clean.index_select(1, index).expand(tokens.shape[0], -1, -1));
        }
        var s = tokens.shape[0];
        return VlmInterventions.AnswerProbability(model.AnswerLogitsFromTokens(tokens, ids.expand(s, ids.shape[1]), lengths.expand([s])), answer.expand([s]))
            .mean().item<float>();
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
