using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>The free-label method's positive control: directions known to mean a concept, labelled the same way as SAE
/// features. A concept's direction is the difference of mean activations at the hook, images showing the concept
/// minus images without it, each image pooled over its selected tokens (all by default): the labeller adds a direction to
/// every selected token, and this is the average change over those tokens that the concept brings. If these are named right, the labeller works
/// at this hook, and a low accuracy on SAE features says the features' decoder directions are not what the model reads
/// as the concept, not that the labeller fails. (Pooling only each object's patches was tried: on the zoo CLIP at block
/// 1 it named 2 of 8 colours against 6 of 8 for all tokens; the class token carries much of what the tower reads.)</summary>
public static class ConceptDirections
{
    public sealed record Result(double Accuracy, int Concepts, int Correct, IReadOnlyList<(string Concept, string Label, bool Correct)> Rows);

    /// <summary>Directions [C, d] for the concepts of <paramref name="groups"/> that held-out images both show and lack.</summary>
    public static (Tensor Directions, IReadOnlyList<Concept> Concepts) Compute(ClipModel model, string hook, ShapesWorldGenerator world,
        long seed, int images, IReadOnlyCollection<string> groups, int batchSize = 64, TokenSelection tokens = TokenSelection.All)
    {
        HookLatents.CheckHook(model, hook);
        if (images < 2) throw new ArgumentException($"images must be at least 2, got {images}", nameof(images));
        var wasTraining = model.training;
        Tensor rows;
        try
        {
            rows = ClipActivationExtractor.Extract(model, world, seed, 0, images, [hook], batchSize, model.LogitScale.device, tokens)[hook];
        }
        finally
        {
            model.train(wasTraining);
        }
        using var _ = rows;
        using var all = rows.view(images, -1, rows.shape[^1]).mean([1]).to(float32).cpu(); // [images, d]: each image's mean selected token
        var scenes = Enumerable.Range(0, images).Select(i => world.Scene(seed, i)).ToList();
        return FromPooled(all, ConceptSet.FromScenes(scenes), groups);
    }

    /// <summary>Directions [C, d] from each image's mean token at the hook [images, d] and the images' concepts, for the
    /// concepts of <paramref name="groups"/> that the images both show and lack (a user's labelled dataset, or scenes).</summary>
    public static (Tensor Directions, IReadOnlyList<Concept> Concepts) FromPooled(Tensor pooled, ConceptSet set, IReadOnlyCollection<string> groups)
    {
        if (pooled.dim() != 2 || pooled.shape[0] != set.Images)
            throw new ArgumentException($"pooled activations must be [{set.Images}, d], got [{string.Join(",", pooled.shape)}]", nameof(pooled));
        var all = pooled.to(float32).cpu();
        var directions = new List<Tensor>();
        var kept = new List<Concept>();
        using (NewDisposeScope())
        {
            for (var c = 0; c < set.Concepts.Count; c++)
            {
                if (!groups.Contains(set.Concepts[c].Group)) continue;
                var mask = Enumerable.Range(0, set.Images).Select(i => set.Labels[i, c]).ToArray();
                if (!mask.Contains(true) || !mask.Contains(false)) continue;
                var with = tensor(mask);
                directions.Add((all[with].mean([0]) - all[with.logical_not()].mean([0])).MoveToOuterDisposeScope());
                kept.Add(set.Concepts[c]);
            }
        }
        if (!ReferenceEquals(all, pooled)) all.Dispose();
        if (kept.Count == 0) throw new ArgumentException($"no concept of groups [{string.Join(", ", groups)}] is both shown and missing in {set.Images} images", nameof(groups));
        var stacked = stack(directions, 0);
        foreach (var d in directions) d.Dispose();
        return (stacked, kept);
    }

    /// <summary>Labels each concept's direction with <see cref="FreeLabeler"/> and scores whether its best label names it.</summary>
    public static Result Label(ClipModel model, ClipBpeTokenizer tokenizer, string hook, Tensor directions, IReadOnlyList<Concept> concepts,
        IReadOnlyList<string> vocabulary, FreeLabelConfig? config = null) =>
        Score(FreeLabeler.LabelDirections(model, tokenizer, hook, directions, Enumerable.Range(0, concepts.Count).ToList(), vocabulary, config), concepts);

    /// <summary>Whether each concept direction's best free label (as <paramref name="labels"/> gives them, in concept
    /// order) names its concept.</summary>
    public static Result Score(IReadOnlyList<FreeLabel> labels, IReadOnlyList<Concept> concepts)
    {
        if (labels.Count != concepts.Count) throw new ArgumentException($"{labels.Count} labels for {concepts.Count} concepts", nameof(labels));
        var rows = concepts.Select((c, i) => (c.Name, labels[i].Best, c.IsNamedBy(labels[i].Best))).ToList();
        var correct = rows.Count(r => r.Item3);
        return new Result(correct / (double)rows.Count, rows.Count, correct, rows);
    }

    /// <summary>Mean cosine between each detecting feature's decoder direction and the direction of the concept it
    /// detects (features whose concept has no direction are skipped; NaN when none is left).</summary>
    public static double DetectorCosine(Tensor decoderDirections, IReadOnlyList<FeatureConcept> detecting, Tensor directions, IReadOnlyList<Concept> concepts)
    {
        using var scope = NewDisposeScope();
        var row = concepts.Select((c, i) => (c.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var cosines = new List<double>();
        foreach (var f in detecting)
        {
            if (!row.TryGetValue(f.ConceptName, out var at)) continue;
            cosines.Add(nn.functional.cosine_similarity(decoderDirections[f.Feature].to(float32), directions[at], dim: 0).item<float>());
        }
        return cosines.Count == 0 ? double.NaN : cosines.Average();
    }
}
