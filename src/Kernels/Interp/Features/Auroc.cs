namespace MMInterp.Kernels.Interp.Features;

/// <summary>Area under the ROC curve as the Mann-Whitney rank statistic: AUROC = (R+ - n+(n+ + 1)/2) / (n+ n-), where R+
/// is the sum of the positives' ranks and tied scores share their average rank (a tie counts one half). Plain CPU
/// arrays: one sort per feature, then one pass over each concept's positives.</summary>
public static class Auroc
{
    /// <summary>AUROC of scores against binary labels; NaN when one class is empty.</summary>
    public static double Compute(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length) throw new ArgumentException($"{scores.Length} scores but {labels.Length} labels");
        var ranks = AverageRanks(scores);
        double sum = 0;
        long positives = 0;
        for (var i = 0; i < labels.Length; i++)
            if (labels[i]) { sum += ranks[i]; positives++; }
        return FromRankSum(sum, positives, labels.Length - positives);
    }

    /// <summary>[features, concepts] AUROC of every column of <paramref name="scores"/> [images, features] against every
    /// column of <paramref name="labels"/> [images, concepts]; NaN for a concept with no positive or no negative image.</summary>
    public static double[,] Matrix(float[,] scores, bool[,] labels)
    {
        int n = scores.GetLength(0), m = scores.GetLength(1), concepts = labels.GetLength(1);
        if (labels.GetLength(0) != n) throw new ArgumentException($"{n} images of scores but {labels.GetLength(0)} images of labels");
        var positives = new int[concepts][];
        for (var c = 0; c < concepts; c++)
        {
            var list = new List<int>();
            for (var i = 0; i < n; i++) if (labels[i, c]) list.Add(i);
            positives[c] = list.ToArray();
        }
        var result = new double[m, concepts];
        Parallel.For(0, m, () => new float[n], (f, _, column) =>
        {
            for (var i = 0; i < n; i++) column[i] = scores[i, f];
            var ranks = AverageRanks(column);
            for (var c = 0; c < concepts; c++)
            {
                double sum = 0;
                foreach (var i in positives[c]) sum += ranks[i];
                result[f, c] = FromRankSum(sum, positives[c].Length, n - positives[c].Length);
            }
            return column;
        }, _ => { });
        return result;
    }

    /// <summary>1-based ranks with ties given their average rank. Throws on NaN (a rank needs an order).</summary>
    public static double[] AverageRanks(ReadOnlySpan<float> scores)
    {
        var n = scores.Length;
        var order = new int[n];
        var keys = new float[n];
        for (var i = 0; i < n; i++)
        {
            if (float.IsNaN(scores[i])) throw new ArgumentException($"score {i} is NaN: AUROC needs finite activations");
            order[i] = i;
            keys[i] = scores[i];
        }
        Array.Sort(keys, order);
        var ranks = new double[n];
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            var rank = (start + 1 + end) / 2.0; // average of ranks start+1 .. end
            for (var j = start; j < end; j++) ranks[order[j]] = rank;
            start = end;
        }
        return ranks;
    }

    static double FromRankSum(double sum, long positives, long negatives) =>
        positives == 0 || negatives == 0 ? double.NaN : (sum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
}
