using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.ShapesWorld;
using Xunit;

namespace MMInterp.Kernels.Tests.Interp.Features;

/// <summary>AUROC against a brute-force count over all (positive, negative) pairs, ties counting one half.</summary>
public class AurocTests
{
    static double BruteForce(float[] scores, bool[] labels)
    {
        double wins = 0;
        long pairs = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (!labels[i]) continue;
            for (var j = 0; j < scores.Length; j++)
            {
                if (labels[j]) continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return wins / pairs;
    }

    [Fact]
    public void RankStatisticEqualsThePairCountWithTies()
    {
        var rng = new Random(17);
        const int n = 300, features = 12, concepts = 5;
        var scores = new float[n, features];
        var labels = new bool[n, concepts];
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < concepts; c++) labels[i, c] = rng.NextDouble() < 0.1 + 0.15 * c;
            for (var f = 0; f < features; f++)
            {
                // Many exact zeros and coarse values (ties, as ReLU/TopK latents have), some signal for concept f % concepts.
                var v = Math.Round(rng.NextDouble() * 4) / 4 - 0.4 + (labels[i, f % concepts] ? 0.3 : 0);
                scores[i, f] = (float)Math.Max(0, v);
            }
        }
        var matrix = Auroc.Matrix(scores, labels);
        for (var f = 0; f < features; f++)
        for (var c = 0; c < concepts; c++)
        {
            var column = Enumerable.Range(0, n).Select(i => scores[i, f]).ToArray();
            var truth = Enumerable.Range(0, n).Select(i => labels[i, c]).ToArray();
            var expected = BruteForce(column, truth);
            Assert.Equal(expected, matrix[f, c], 12);
            Assert.Equal(expected, Auroc.Compute(column, truth), 12);
        }
        Assert.Equal(0.5, Auroc.Compute([1, 1, 1, 1], [true, false, true, false]), 12);
        Assert.Equal(1.0, Auroc.Compute([3, 0, 2, 1], [true, false, true, false]), 12);
        Assert.Equal(0.0, Auroc.Compute([0, 3, 1, 2], [true, false, true, false]), 12);
    }

    [Fact]
    public void OneClassGivesNaNAndNaNScoresAreRefused()
    {
        Assert.True(double.IsNaN(Auroc.Compute([1, 2, 3], [true, true, true])));
        var e = Assert.Throws<ArgumentException>(() => Auroc.Compute([1, float.NaN, 3], [true, false, true]));
        Assert.Contains("NaN", e.Message);
        Assert.Throws<ArgumentException>(() => Auroc.Matrix(new float[3, 2], new bool[4, 2]));
    }

    [Fact]
    public void ConceptLabelsFollowTheScenesAndEveryPromptNamesOnlyItsConcept()
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { OverlayRate = 0.5 });
        var scenes = Enumerable.Range(0, 64).Select(i => world.Scene(5, i)).ToList();
        var set = ConceptSet.FromScenes(scenes);
        var names = set.Concepts.Select(c => c.Name).ToList();
        for (var i = 0; i < scenes.Count; i++)
        {
            var s = scenes[i];
            Assert.Equal(s.Overlay is not null, set.Labels[i, names.IndexOf("overlay=word")]);
            Assert.True(set.Labels[i, names.IndexOf($"background={AttributeWords.Backgrounds[(int)s.Background]}")]);
            var colours = s.Objects.Select(o => $"colour={o.Word(ObjectAttribute.Colour)}").ToHashSet();
            foreach (var c in set.Concepts.Where(c => c.Group == "colour"))
                Assert.Equal(colours.Contains(c.Name), set.Labels[i, names.IndexOf(c.Name)]);
            foreach (var c in set.Concepts.Where(c => c.Group == ConceptSet.WordGroup))
                Assert.Equal(s.Overlay?.Word == c.Word, set.Labels[i, names.IndexOf(c.Name)]);
        }
        Assert.Equal(ConceptSet.WrittenWords.Count, set.Concepts.Count(c => c.Group == ConceptSet.WordGroup));
        Assert.True(set.Concepts.Single(c => c.Name == "word=red").IsNamedBy("the word red"));
        Assert.False(set.Concepts.Single(c => c.Name == "word=red").IsNamedBy("a photo of a red object"));
        Assert.False(set.Concepts.Single(c => c.Name == "colour=red").IsNamedBy("the word red"));
        foreach (var concept in set.Concepts)
            Assert.Equal([concept.Name], set.Concepts.Where(c => c.IsNamedBy(concept.Prompt)).Select(c => c.Name));
        Assert.True(set.Concepts.Single(c => c.Name == "position=upper left").IsNamedBy("upper left"));
        Assert.False(set.Concepts.Single(c => c.Name == "position=upper left").IsNamedBy("a photo of an object in the lower left"));
    }
}
