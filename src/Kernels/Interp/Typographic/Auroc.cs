namespace MMInterp.Kernels.Interp.Typographic;

/// <summary>Area under the ROC curve by ranks (Mann-Whitney U), ties sharing their mean rank.</summary>
public static class Auroc
{
    /// <summary>Probability that a random positive scores above a random negative (ties count half).</summary>
    public static double Of(ReadOnlySpan<float> scores, ReadOnlySpan<bool> positive)
    {
        if (scores.Length != positive.Length) throw new ArgumentException($"{scores.Length} scores but {positive.Length} labels", nameof(positive));
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);
        double positiveRanks = 0;
        long positives = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && keys[end + 1] == keys[start]) end++;
            var rank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
                if (positive[order[i]]) { positiveRanks += rank; positives++; }
            start = end + 1;
        }
        var negatives = scores.Length - positives;
        if (positives == 0 || negatives == 0) throw new ArgumentException("AUROC needs both positive and negative examples", nameof(positive));
        return (positiveRanks - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }
}
