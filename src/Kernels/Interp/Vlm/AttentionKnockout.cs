using MMInterp.Kernels.Models.Vlm;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>One knockout: which keys were blocked from the answer position, at which layers, and what it did.</summary>
public sealed record KnockoutRow(string Target, string Layers, double Accuracy, double AnswerProb, double ProbDrop);

/// <summary>Attention knockout result: clean accuracy/probability and one row per (target, layer set). Targets:
/// "image" (all image tokens), "object" (the asked-about object's patches), "random" (as many random non-object
/// patches, averaged over draws: the control).</summary>
public sealed record KnockoutResult(double CleanAccuracy, double CleanProb, IReadOnlyList<KnockoutRow> Rows)
{
    public KnockoutRow Row(string target, string layers) => Rows.FirstOrDefault(r => r.Target == target && r.Layers == layers)
        ?? throw new ArgumentException($"no knockout row for target '{target}' at layers '{layers}'");
}

/// <summary>Blocks attention from the answer position to image tokens, one layer at a time and at all layers at once
/// (Geva et al. 2023), by zeroing those attention weights and renormalising. The object and random targets are
/// measured over the prompts that say where the object is (none: those rows are left out).</summary>
public static class AttentionKnockout
{
    public static KnockoutResult Run(IShapesVlm model, VlmPrompts prompts, int randomDraws = 8, long seed = 0)
    {
        model.SetTraining(false);
        using var subject = new ZooVlmSubject(model, prompts);
        return Run(subject, randomDraws, seed);
    }

    public static KnockoutResult Run(IVlmSubject subject, int randomDraws = 8, long seed = 0)
    {
        if (randomDraws < 1) throw new ArgumentException($"randomDraws must be at least 1, got {randomDraws}", nameof(randomDraws));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (n, p, layers) = (subject.Count, subject.ImageTokens, subject.Layers);
        var given = Enumerable.Range(0, n).Select(subject.ObjectPatches).ToArray();
        var objects = given.SelectMany(g => g ?? new bool[p]).ToArray();
        var all = Enumerable.Range(0, n).ToArray();
        var scored = all.Where(i => given[i] is not null).ToArray();
        var groups = VlmSubjects.SameLayout(subject);

        // Mean accuracy and answer probability over the prompts in `which`, with image token j of prompt i blocked where block[i * P + j].
        (double Accuracy, double Prob) Measure(bool[] block, IReadOnlyList<int> atLayers, int[] which)
        {
            var parts = new List<(int Count, double Accuracy, double Prob)>();
            foreach (var group in groups.Select(g => g.Intersect(which).ToArray()).Where(g => g.Length > 0))
            {
                using var inner = NewDisposeScope();
                var (t, start, answer) = (subject.SequenceLength(group[0]), subject.ImageStart(group[0]), subject.AnswerPosition(group[0]));
                var mask = new bool[group.Length * t];
                for (var b = 0; b < group.Length; b++) for (var j = 0; j < p; j++) mask[b * t + start + j] = block[group[b] * p + j];
                var query = full(group.Length, answer, ScalarType.Int64, device: subject.Device);
                var tokens = cat(group.Select(subject.CleanImageTokens).ToList(), 0);
                var answers = tensor(group.Select(i => subject.Answer(i)).ToArray(), device: subject.Device);
                using (subject.Hooks.Scope())
                {
                    var blocked = tensor(mask, [group.Length, t], device: subject.Device);
                    foreach (var l in atLayers) subject.Hooks.Add($"lm.blocks.{l}.attn.hook_pattern", VlmInterventions.Knockout(query, blocked));
                    var logits = VlmSubjects.AnswerLogits(subject, tokens, group);
                    parts.Add((group.Length, logits.argmax(-1).eq(answers).to_type(ScalarType.Float32).mean().item<float>(),
                        VlmInterventions.AnswerProbability(logits, answers).mean().item<float>()));
                }
            }
            if (parts.Count == 1) return (parts[0].Accuracy, parts[0].Prob);
            var count = parts.Sum(x => x.Count);
            return (parts.Sum(x => x.Accuracy * x.Count) / count, parts.Sum(x => x.Prob * x.Count) / count);
        }

        bool[] Block(Func<int, int, bool> blocked)
        {
            var b = new bool[n * p];
            for (var i = 0; i < n; i++) for (var j = 0; j < p; j++) b[i * p + j] = blocked(i, j);
            return b;
        }

        var (cleanAccuracy, cleanProb) = Measure(new bool[n * p], [], all);
        var cleanScoredProb = scored.Length == n ? cleanProb : scored.Length == 0 ? double.NaN : Measure(new bool[n * p], [], scored).Prob;
        var rng = new Random((int)seed);
        var layerSets = Enumerable.Range(0, layers).Select(l => ($"{l}", new[] { l })).Append(("all", Enumerable.Range(0, layers).ToArray())).ToList();
        var rows = new List<KnockoutRow>();
        foreach (var (label, set) in layerSets)
        {
            var image = Measure(Block((_, _) => true), set, all);
            rows.Add(new KnockoutRow("image", label, image.Accuracy, image.Prob, cleanProb - image.Prob));
            if (scored.Length == 0) continue;
            var obj = Measure(Block((i, j) => objects[i * p + j]), set, scored);
            var random = Enumerable.Range(0, randomDraws).Select(_ =>
            {
                var chosen = new HashSet<(int, int)>();
                foreach (var i in scored)
                {
                    var count = Enumerable.Range(0, p).Count(j => objects[i * p + j]);
                    foreach (var j in Enumerable.Range(0, p).Where(j => !objects[i * p + j]).OrderBy(_ => rng.Next()).Take(count)) chosen.Add((i, j));
                }
                return Measure(Block((i, j) => chosen.Contains((i, j))), set, scored);
            }).ToList();
            rows.Add(new KnockoutRow("object", label, obj.Accuracy, obj.Prob, cleanScoredProb - obj.Prob));
            var randomProb = random.Average(r => r.Prob);
            rows.Add(new KnockoutRow("random", label, random.Average(r => r.Accuracy), randomProb, cleanScoredProb - randomProb));
        }
        return new KnockoutResult(cleanAccuracy, cleanProb, rows);
    }
}
