using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>
/// Steering an HF LLaVA's answer through its vision tower on a user's examples: the concepts are the expected answers
/// (first tokens) that some examples have and others do not. Per concept, the SAE feature whose per-image max best
/// separates its examples (AUROC) is clamped to <c>clampMultiple</c> x its largest activation on every token of the
/// examples with another answer (SAE spliced in with its error kept), and the answer is read at the answer position.
/// Success = the top token becomes the concept's. Controls on the same examples: an equal-norm random direction per
/// image and no intervention. Features are chosen on the same examples that are steered (a user's set is small);
/// the result says so.
/// </summary>
public static class VlmUserSteering
{
    public static VlmSteeringResult Run(LlavaVlmSubject subject, ISparseAutoencoder sae, string hook, double clampMultiple = 3.0, long seed = 0,
        Action<double, string>? progress = null, CancellationToken cancel = default)
    {
        if (!hook.StartsWith("vision.", StringComparison.Ordinal) || !subject.Hooks.Contains(hook))
            throw new ArgumentException($"hook '{hook}' is not a vision.* hook of this LLaVA");
        if (!(clampMultiple > 0 && double.IsFinite(clampMultiple))) throw new ArgumentException($"clamp multiple must be positive and finite, got {clampMultiple}");
        var config = VlmSteeringConfig.Default with { Hook = hook, Attribute = "answer", ClampMultiple = clampMultiple, Seed = seed };
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var n = subject.Count;
        var all = Enumerable.Range(0, n).ToArray();
        var scores = PerImageMax(subject, sae, hook, out var m);
        var answers = all.Select(subject.Answer).ToArray();
        var concepts = answers.Distinct().Where(a => answers.Count(x => x == a) is var k && k > 0 && k < n).OrderBy(a => a).ToList();
        if (concepts.Count == 0) throw new ArgumentException("steering needs at least two different expected answers among the examples");
        var labels = new bool[n, concepts.Count];
        for (var i = 0; i < n; i++) for (var c = 0; c < concepts.Count; c++) labels[i, c] = answers[i] == concepts[c];
        var auroc = Auroc.Matrix(scores, labels);
        var clean = Predict(subject, all, null);
        var cleanAccuracy = all.Average(i => clean[i] == answers[i] ? 1.0 : 0.0);
        using var generator = new Generator((ulong)seed + 1);
        var rows = new List<VlmConceptSteering>();
        for (var c = 0; c < concepts.Count; c++)
        {
            cancel.ThrowIfCancellationRequested();
            var best = Enumerable.Range(0, m).Where(f => !double.IsNaN(auroc[f, c])).DefaultIfEmpty(-1).MaxBy(f => f < 0 ? double.NegativeInfinity : auroc[f, c]);
            var largest = best < 0 ? 0 : all.Max(i => scores[i, best]);
            var word = subject.TokenText(concepts[c]);
            if (best < 0 || largest <= 0)
                throw new InvalidOperationException($"no live SAE feature fires on the examples answered '{word}'");
            var steered = all.Where(i => answers[i] != concepts[c]).ToArray();
            var clamp = clampMultiple * largest;
            var edit = SaeSplice.Clamp(sae, best, clamp);
            var onSteer = Predict(subject, steered, (hook, SaeSplice.Hook(sae, SpliceMode.WithError, edit)));
            var directions = nn.functional.normalize(randn([steered.Length, sae.Config.DIn], generator: generator), dim: -1);
            var onRandom = Predict(subject, steered, (hook, SaeSplice.EqualNormDirection(sae, edit, directions)));
            double Rate(IEnumerable<long> predicted) => predicted.Average(p => p == concepts[c] ? 1.0 : 0.0);
            rows.Add(new VlmConceptSteering($"answer={word}", word, best, auroc[best, c], clamp, steered.Length,
                Rate(onSteer.Values), Rate(onRandom.Values), Rate(steered.Select(i => clean[i]))));
            progress?.Invoke((c + 1.0) / concepts.Count, $"{word}: steered {rows[^1].Success:F2}, random {rows[^1].RandomControl:F2}");
        }
        return new VlmSteeringResult(config, sae.Config.DSae, cleanAccuracy, rows);
    }

    /// <summary>Per example, each SAE feature's largest latent over the hook's tokens. [N, m]</summary>
    static float[,] PerImageMax(LlavaVlmSubject subject, ISparseAutoencoder sae, string hook, out int m)
    {
        var n = subject.Count;
        m = sae.Config.DSae;
        var scores = new float[n, m];
        for (var i = 0; i < n; i++)
        {
            using var scope = NewDisposeScope();
            using var cache = new ActivationCache();
            using (subject.Hooks.Scope())
            {
                subject.Hooks.Add(hook, Hook.Cache(cache));
                subject.ImageTokensFromPixels([i]);
            }
            var a = cache[hook];
            if (a.shape[^1] != sae.Config.DIn)
                throw new ArgumentException($"SAE d_in is {sae.Config.DIn} but hook '{hook}' has width {a.shape[^1]}: this SAE was not trained on that hook");
            var z = sae.Encode(a.reshape(-1, a.shape[^1]).to(sae.Device)).amax(0).cpu().data<float>().ToArray();
            for (var f = 0; f < m; f++) scores[i, f] = z[f];
        }
        return scores;
    }

    /// <summary>The top token at each prompt's answer position, with <paramref name="vision"/> (if any) hooked into the tower.</summary>
    static Dictionary<int, long> Predict(LlavaVlmSubject subject, int[] prompts, (string Name, HookFn Fn)? vision)
    {
        using var scope = NewDisposeScope();
        Tensor tokens;
        using (subject.Hooks.Scope())
        {
            if (vision is { } v) subject.Hooks.Add(v.Name, v.Fn);
            tokens = subject.ImageTokensFromPixels(prompts); // one batch: the random control's directions are one per image
        }
        var predicted = new Dictionary<int, long>();
        for (var b = 0; b < prompts.Length; b++)
            predicted[prompts[b]] = VlmSubjects.AnswerLogits(subject, tokens.narrow(0, b, 1), [prompts[b]]).argmax(-1).item<long>();
        return predicted;
    }
}
