namespace MMInterp.Kernels.Interp.Features;

/// <summary>Free-label accuracy: of the concept-detecting features (best AUROC >= threshold, concept in the scored
/// groups), the share whose top free label names that concept. <see cref="Chance"/> is what a uniformly random vocabulary entry would score.</summary>
public sealed record FreeLabelAccuracyResult(double Accuracy, int Detecting, int Correct, double Chance,
    IReadOnlyDictionary<string, double> ByGroup, IReadOnlyList<(int Feature, string Concept, string Label, bool Correct)> Rows);

public static class FreeLabelAccuracy
{
    /// <param name="groups">concept groups scored (null: all)</param>
    public static FreeLabelAccuracyResult Compute(ConceptRecoveryResult recovery, IReadOnlyList<FreeLabel> labels, IReadOnlyList<string>? vocabulary = null,
        IReadOnlyCollection<string>? groups = null)
    {
        var byFeature = labels.ToDictionary(l => l.Feature);
        var vocab = vocabulary ?? ConceptSet.StandardVocabulary;
        var rows = new List<(int, string, string, bool)>();
        var outcomes = new List<(string Group, bool Correct)>();
        double chance = 0;
        foreach (var f in Scored(recovery, groups))
        {
            if (!byFeature.TryGetValue(f.Feature, out var label))
                throw new ArgumentException($"feature {f.Feature} detects {f.ConceptName} but has no free label", nameof(labels));
            var concept = recovery.Concepts[f.Concept];
            var correct = concept.IsNamedBy(label.Best);
            rows.Add((f.Feature, concept.Name, label.Best, correct));
            outcomes.Add((concept.Group, correct));
            chance += vocab.Count(concept.IsNamedBy) / (double)vocab.Count;
        }
        var detecting = rows.Count;
        var right = rows.Count(r => r.Item4);
        var byGroup = outcomes.GroupBy(g => g.Group).ToDictionary(g => g.Key, g => g.Count(x => x.Correct) / (double)g.Count());
        return new FreeLabelAccuracyResult(detecting == 0 ? double.NaN : right / (double)detecting, detecting, right,
            detecting == 0 ? double.NaN : chance / detecting, byGroup, rows);
    }

    /// <summary>The detecting features whose concept is in <paramref name="groups"/> (all detecting ones when null).</summary>
    public static IReadOnlyList<FeatureConcept> Scored(ConceptRecoveryResult recovery, IReadOnlyCollection<string>? groups) =>
        recovery.Detecting.Where(f => groups is null || groups.Contains(recovery.Concepts[f.Concept].Group)).ToList();
}
