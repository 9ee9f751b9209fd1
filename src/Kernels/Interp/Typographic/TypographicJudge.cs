using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Typographic;

/// <summary>How the typographic defence judges a set of images, one question per image (ShapesWorld: the attribute its
/// word names; a user's images: their class): the true answer, and the model's answer with a function at the hook.</summary>
public interface ITypographicJudge
{
    /// <summary>Per image, the index of the true answer.</summary>
    IReadOnlyList<int> Truth { get; }

    /// <summary>Per image, the predicted answer for <paramref name="images"/> with <paramref name="fn"/> (if any) at the hook.</summary>
    IReadOnlyList<int> Predictions(Tensor images, HookFn? fn);

    /// <summary>The mean probability given to each image's true answer.</summary>
    double MeanTrueProbability(Tensor images, HookFn? fn);
}

/// <summary>Pixels of one split of the attack: the images with the wrong word, the same without it, and (for the
/// evaluation split) with the true word at the same place. Row i of each is the same image.</summary>
public sealed record TypographicImages(Tensor Attacked, Tensor Clean, Tensor? TrueWord = null);

/// <summary>Everything the defence predicted on the evaluation split, for accuracies over any subset of its images.</summary>
/// <param name="Predictions">clean, attacked, trueWord, suppressed, cleanSuppressed, reconClean, reconAttacked</param>
/// <param name="RandomAttacked">attacked with each random feature set suppressed</param>
/// <param name="RandomClean">clean with each random feature set suppressed</param>
public sealed record TypographicPredictions(IReadOnlyList<int> Chosen, IReadOnlyList<double> Auroc, IReadOnlyList<int> Live,
    IReadOnlyDictionary<string, IReadOnlyList<int>> Predictions, IReadOnlyList<IReadOnlyList<int>> RandomAttacked, IReadOnlyList<IReadOnlyList<int>> RandomClean)
{
    /// <summary>Accuracies over the images <paramref name="subset"/> names; <paramref name="written"/> is each image's
    /// written (wrong) answer, for the share that follows the word.</summary>
    public TypographicAccuracy Accuracy(IReadOnlyList<int> truth, IReadOnlyList<int> written, IReadOnlyList<int> subset, ShapesWorld.ObjectAttribute? attribute = null)
    {
        double Acc(IReadOnlyList<int> p) => subset.Count == 0 ? 0 : (double)subset.Count(i => p[i] == truth[i]) / subset.Count;
        var follows = subset.Count == 0 ? 0 : (double)subset.Count(i => Predictions["attacked"][i] == written[i]) / subset.Count;
        return new TypographicAccuracy(attribute, subset.Count, Acc(Predictions["clean"]), Acc(Predictions["attacked"]), Acc(Predictions["suppressed"]),
            RandomAttacked.Average(Acc), Acc(Predictions["cleanSuppressed"]), RandomClean.Average(Acc),
            Acc(Predictions["reconClean"]), Acc(Predictions["reconAttacked"]), follows)
        {
            TrueWord = Predictions.TryGetValue("trueWord", out var t) ? Acc(t) : double.NaN,
        };
    }
}
