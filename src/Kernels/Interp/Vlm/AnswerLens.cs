using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Per decoder state: where the answer token stands in the lens at the answer position (mean rank, top-1
/// share), and how often it is among the top-k lens tokens of the image tokens: on the object's patches, on the
/// others (the control; both NaN when no prompt gives its object) and on all of them.</summary>
public sealed record AnswerLensRow(string Layer, double AnswerRank, double AnswerTop1, double ObjectAnswerTopK, double OtherAnswerTopK,
    double ImageAnswerTopK, string CommonImageWord);

/// <summary>The logit lens of any VLM (<see cref="IVlmSubject"/>): the answer token read off every layer. For the
/// first prompt, every image token's top-1 word at every state (the figure).</summary>
public sealed record AnswerLensResult(int TopK, IReadOnlyList<AnswerLensRow> Rows, string[][] FirstPromptTop1, bool[] FirstPromptObject);

/// <summary>nostalgebraist's logit lens through the subject's final norm and unembedding, scored by the expected
/// answer's token (the zoo path's <see cref="LogitLens.Run"/> scores ShapesWorld's colour and shape words instead).</summary>
public static class AnswerLens
{
    /// <summary>Lens logits of one prompt for every state: [embed, block 0 .. L-1], each [1, T, V]. The last equals the model's logits.</summary>
    public static List<Tensor> Decode(IVlmSubject subject, int prompt)
    {
        using var cache = new ActivationCache();
        var names = Enumerable.Range(-1, subject.Layers + 1).Select(l => VlmInterventions.HookName("resid", l)).ToList();
        using (subject.Hooks.Scope())
        {
            foreach (var name in names) subject.Hooks.Add(name, Hook.Cache(cache));
            subject.Logits(subject.CleanImageTokens(prompt), [prompt]).Dispose();
        }
        return names.Select(name => subject.Unembed(cache[name])).ToList();
    }

    public static AnswerLensResult Run(IVlmSubject subject, int topK = 5)
    {
        if (topK < 1) throw new ArgumentException($"topK must be at least 1, got {topK}", nameof(topK));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (n, p, states) = (subject.Count, subject.ImageTokens, subject.Layers + 1);
        var rank = new double[states]; var top1 = new double[states];
        var (objHit, objCount, otherHit, otherCount, imageHit) = (new double[states], new int[states], new double[states], new int[states], new double[states]);
        var words = Enumerable.Range(0, states).Select(_ => new Dictionary<long, int>()).ToArray();
        var firstTop1 = new string[states][];
        for (var i = 0; i < n; i++)
        {
            using var promptScope = NewDisposeScope();
            var lens = Decode(subject, i);
            var objects = subject.ObjectPatches(i);
            var (start, answerAt, answer) = (subject.ImageStart(i), subject.AnswerPosition(i), subject.Answer(i));
            for (var r = 0; r < states; r++)
            {
                var logits = lens[r][0]; // [T, V]
                var k = (int)Math.Min(topK, logits.shape[1]);
                var top = logits.narrow(0, start, p).topk(k, dim: -1).indexes.cpu().data<long>().ToArray(); // [P, k]
                for (var j = 0; j < p; j++)
                {
                    var hit = new ArraySegment<long>(top, j * k, k).Contains(answer) ? 1 : 0;
                    imageHit[r] += hit;
                    if (objects is not null)
                    {
                        if (objects[j]) { objHit[r] += hit; objCount[r]++; } else { otherHit[r] += hit; otherCount[r]++; }
                    }
                    if (objects is null || objects[j]) words[r][top[j * k]] = words[r].GetValueOrDefault(top[j * k]) + 1;
                }
                if (i == 0) firstTop1[r] = Enumerable.Range(0, p).Select(j => subject.TokenText(top[j * k])).ToArray();
                var atAnswer = logits[answerAt];
                var answerRank = atAnswer.gt(atAnswer[answer]).sum().item<long>();
                rank[r] += (double)answerRank / n;
                top1[r] += answerRank == 0 ? 1.0 / n : 0;
            }
        }
        var rows = Enumerable.Range(0, states).Select(r => new AnswerLensRow(r == 0 ? "embed" : $"block {r - 1}", rank[r], top1[r],
            objCount[r] == 0 ? double.NaN : objHit[r] / objCount[r], otherCount[r] == 0 ? double.NaN : otherHit[r] / otherCount[r],
            imageHit[r] / (n * p), words[r].Count == 0 ? "" : subject.TokenText(words[r].MaxBy(w => w.Value).Key))).ToList();
        return new AnswerLensResult(topK, rows, firstTop1, subject.ObjectPatches(0) ?? new bool[p]);
    }
}
