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

/// <summary>Blocks attention from the answer position (last question token) to image tokens, one layer at a time and at
/// all layers at once (Geva et al. 2023), by zeroing those attention weights and renormalising.</summary>
public static class AttentionKnockout
{
    public static KnockoutResult Run(VlmModel model, VlmPrompts prompts, int randomDraws = 8, long seed = 0)
    {
        if (randomDraws < 1) throw new ArgumentException($"randomDraws must be at least 1, got {randomDraws}", nameof(randomDraws));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        var device = model.Device;
        var (n, p, layers) = (prompts.Count, model.Config.ImageTokens, model.LmLayers);
        var t = p + prompts.QuestionTokens;
        var tokens = model.ImageTokens(prompts.Images);
        var query = model.AnswerPositions(prompts.Lengths);
        var objects = prompts.ObjectPatches.cpu().data<bool>().ToArray();

        (double Accuracy, double Prob) Measure(bool[] block, IReadOnlyList<int> atLayers)
        {
            using var inner = NewDisposeScope();
            using (model.Hooks.Scope())
            {
                var mask = tensor(block, [n, t], device: device);
                foreach (var l in atLayers) model.Hooks.Add($"lm.blocks.{l}.attn.hook_pattern", VlmInterventions.Knockout(query, mask));
                var logits = model.AnswerLogitsFromTokens(tokens, prompts.Ids, prompts.Lengths);
                var accuracy = logits.argmax(-1).eq(prompts.Answers).to_type(ScalarType.Float32).mean().item<float>();
                return (accuracy, VlmInterventions.AnswerProbability(logits, prompts.Answers).mean().item<float>());
            }
        }

        bool[] Block(Func<int, int, bool> blocked)
        {
            var b = new bool[n * t];
            for (var i = 0; i < n; i++) for (var j = 0; j < p; j++) b[i * t + j] = blocked(i, j);
            return b;
        }

        var (cleanAccuracy, cleanProb) = Measure(new bool[n * t], []);
        var rng = new Random((int)seed);
        var layerSets = Enumerable.Range(0, layers).Select(l => ($"{l}", new[] { l })).Append(("all", Enumerable.Range(0, layers).ToArray())).ToList();
        var rows = new List<KnockoutRow>();
        foreach (var (label, set) in layerSets)
        {
            var image = Measure(Block((_, _) => true), set);
            var obj = Measure(Block((i, j) => objects[i * p + j]), set);
            var random = Enumerable.Range(0, randomDraws).Select(_ =>
            {
                var chosen = new HashSet<(int, int)>();
                for (var i = 0; i < n; i++)
                {
                    var count = Enumerable.Range(0, p).Count(j => objects[i * p + j]);
                    foreach (var j in Enumerable.Range(0, p).Where(j => !objects[i * p + j]).OrderBy(_ => rng.Next()).Take(count)) chosen.Add((i, j));
                }
                return Measure(Block((i, j) => chosen.Contains((i, j))), set);
            }).ToList();
            rows.Add(new KnockoutRow("image", label, image.Accuracy, image.Prob, cleanProb - image.Prob));
            rows.Add(new KnockoutRow("object", label, obj.Accuracy, obj.Prob, cleanProb - obj.Prob));
            var randomProb = random.Average(r => r.Prob);
            rows.Add(new KnockoutRow("random", label, random.Average(r => r.Accuracy), randomProb, cleanProb - randomProb));
        }
        return new KnockoutResult(cleanAccuracy, cleanProb, rows);
    }
}
