namespace MMInterp.Kernels.Interp.Features;

/// <summary>A feature's best concept: the one its per-image activation detects best (highest AUROC).</summary>
public sealed record FeatureConcept(int Feature, int Concept, string ConceptName, double Auroc);

/// <summary>A concept's best feature.</summary>
public sealed record ConceptMatch(int Concept, string ConceptName, string Group, int Positives, int Feature, double Auroc);

/// <summary>Features against ground truth. Concepts with no positive or no negative image cannot be scored and are
/// left out of every share (listed in <see cref="Unscored"/>).</summary>
public sealed record ConceptRecoveryResult(
    IReadOnlyList<Concept> Concepts,
    double Threshold,
    IReadOnlyList<FeatureConcept> PerFeature,
    IReadOnlyList<ConceptMatch> PerConcept,
    IReadOnlyList<string> Unscored,
    double Recovery,
    IReadOnlyDictionary<string, double> RecoveryByGroup)
{
    /// <summary>Per group, the mean over its concepts of the best feature's AUROC: a graded view beside the thresholded share.</summary>
    public IReadOnlyDictionary<string, double> MeanBestAurocByGroup =>
        PerConcept.GroupBy(x => x.Group).ToDictionary(g => g.Key, g => g.Average(x => x.Auroc));

    /// <summary>Features whose best AUROC reaches the threshold.</summary>
    public IEnumerable<FeatureConcept> Detecting => PerFeature.Where(f => f.Auroc >= Threshold);
}

/// <summary>For each feature the concept it detects best, for each concept the best feature, and concept recovery:
/// the share of scorable concepts that have a feature with AUROC >= threshold.</summary>
public static class ConceptRecovery
{
    /// <param name="headlineGroups">the groups the headline share is taken over (null: every group); every group keeps
    /// its own share in <see cref="ConceptRecoveryResult.RecoveryByGroup"/></param>
    public static ConceptRecoveryResult Compute(FeatureActivationSet activations, ConceptSet concepts, double threshold = 0.9, IReadOnlyCollection<string>? headlineGroups = null)
    {
        if (!(threshold > 0.5 && threshold <= 1)) throw new ArgumentException($"threshold must be in (0.5, 1], got {threshold}", nameof(threshold));
        if (concepts.Images != activations.Images)
            throw new ArgumentException($"the concept labels cover {concepts.Images} images but the activations {activations.Images}", nameof(concepts));
        var auroc = Auroc.Matrix(activations.MaxPerImage, concepts.Labels);
        int m = auroc.GetLength(0), c = auroc.GetLength(1);
        var perFeature = new List<FeatureConcept>(m);
        for (var f = 0; f < m; f++)
        {
            int best = -1;
            var bestValue = double.NegativeInfinity;
            for (var k = 0; k < c; k++)
                if (!double.IsNaN(auroc[f, k]) && auroc[f, k] > bestValue) { bestValue = auroc[f, k]; best = k; }
            perFeature.Add(best < 0 ? new FeatureConcept(f, -1, "", double.NaN) : new FeatureConcept(f, best, concepts.Concepts[best].Name, bestValue));
        }
        var perConcept = new List<ConceptMatch>();
        var unscored = new List<string>();
        for (var k = 0; k < c; k++)
        {
            var positives = concepts.Positives(k);
            if (positives == 0 || positives == concepts.Images) { unscored.Add(concepts.Concepts[k].Name); continue; }
            int best = 0;
            for (var f = 1; f < m; f++) if (auroc[f, k] > auroc[best, k]) best = f;
            var concept = concepts.Concepts[k];
            perConcept.Add(new ConceptMatch(k, concept.Name, concept.Group, positives, best, auroc[best, k]));
        }
        if (perConcept.Count == 0) throw new ArgumentException("no concept can be scored: every concept is present in all images or in none", nameof(concepts));
        double Share(IEnumerable<ConceptMatch> xs) => xs.Count(x => x.Auroc >= threshold) / (double)xs.Count();
        var byGroup = perConcept.GroupBy(x => x.Group).ToDictionary(g => g.Key, g => Share(g));
        var headline = headlineGroups is null ? perConcept : perConcept.Where(x => headlineGroups.Contains(x.Group)).ToList();
        if (headline.Count == 0) throw new ArgumentException($"no concept of the groups {string.Join(", ", headlineGroups!)} can be scored", nameof(headlineGroups));
        return new ConceptRecoveryResult(concepts.Concepts, threshold, perFeature, perConcept, unscored, Share(headline), byGroup);
    }
}
