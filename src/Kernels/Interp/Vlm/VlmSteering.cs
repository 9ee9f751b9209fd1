using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>Steers a VLM's answer through its vision encoder. Per value v of the attribute: the SAE feature with the
/// best AUROC for "the object is v" is clamped (SAE spliced in with its error kept, so only the clamp changes the
/// activation) at every token of held-out one-object images whose object is not v, and the VLM is asked the attribute
/// question. Success = the answer becomes v. Controls on the same images: a random unit direction scaled to the
/// clamp's per-token norm, and no intervention.</summary>
public static class VlmSteering
{
    public static VlmSteeringResult Run(IShapesVlm model, VlmVocabulary vocabulary, ISparseAutoencoder sae, VlmSteeringConfig config,
        Action<double, string>? progress = null, CancellationToken cancel = default)
    {
        config.Validate();
        VlmVisionActivations.CheckHook(model, config.Hook);
        var attribute = config.Attribute == "colour" ? ObjectAttribute.Colour : ObjectAttribute.Shape;
        var words = AttributeWords.Words(attribute);
        foreach (var w in words)
            if (!vocabulary.Contains(w)) throw new ArgumentException($"the VLM vocabulary has no answer '{w}': it was not trained on {config.Attribute} questions", nameof(vocabulary));
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.ImageSize, MinObjects = 1, MaxObjects = 1 });
        var wasTraining = model.Training;
        model.SetTraining(false);
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (features, aurocs, largest) = SelectFeatures(model, sae, config, world, attribute);
            progress?.Invoke(0.3, $"features chosen: {string.Join(", ", words.Select((w, v) => $"{w}->{features[v]} (AUROC {aurocs[v]:F2})"))}");

            // One pool of held-out images; each concept steers the first ImagesPerConcept whose object is another value.
            var pool = Enumerable.Range(0, 2 * config.ImagesPerConcept + 32).Select(i => world.Scene(config.EvalSeed, i)).ToList();
            var questions = pool.Select(s => Captions.Questions(s).First(q => q.Attribute == attribute && q.ObjectIndex == 0)).ToList();
            var clean = Answers(model, vocabulary, world, pool, questions, config.Hook, null, config.BatchSize);
            var cleanAccuracy = clean.Zip(questions).Average(p => p.First == p.Second.Answer ? 1.0 : 0.0);
            using var generator = new Generator((ulong)config.Seed + 1);
            var concepts = new List<VlmConceptSteering>();
            for (var v = 0; v < words.Length; v++)
            {
                cancel.ThrowIfCancellationRequested();
                var chosen = Enumerable.Range(0, pool.Count).Where(i => pool[i].Objects[0].Value(attribute) != v).Take(config.ImagesPerConcept).ToList();
                var scenes = chosen.Select(i => pool[i]).ToList();
                var asked = chosen.Select(i => questions[i]).ToList();
                var clamp = config.ClampMultiple * largest[v];
                var edit = SaeSplice.Clamp(sae, features[v], clamp);
                var steered = Answers(model, vocabulary, world, scenes, asked, config.Hook, SaeSplice.Hook(sae, SpliceMode.WithError, edit), scenes.Count);
                var directions = nn.functional.normalize(randn([scenes.Count, sae.Config.DIn], generator: generator), dim: -1);
                var random = Answers(model, vocabulary, world, scenes, asked, config.Hook, SaeSplice.EqualNormDirection(sae, edit, directions), scenes.Count); // one batch: one direction per image
                double Rate(IEnumerable<string> answers) => answers.Average(a => a == words[v] ? 1.0 : 0.0);
                concepts.Add(new VlmConceptSteering($"{config.Attribute}={words[v]}", words[v], features[v], aurocs[v], clamp, scenes.Count,
                    Rate(steered), Rate(random), Rate(chosen.Select(i => clean[i]))));
                progress?.Invoke(0.3 + 0.7 * (v + 1) / words.Length, $"{words[v]}: steered {concepts[^1].Success:F2}, random {concepts[^1].RandomControl:F2}");
            }
            return new VlmSteeringResult(config, sae.Config.DSae, cleanAccuracy, concepts);
        }
        finally
        {
            model.SetTraining(wasTraining);
        }
    }

    /// <summary>Per value of the attribute: the feature whose per-image max best separates images showing it (AUROC),
    /// that AUROC, and the feature's largest activation on the selection images.</summary>
    static (int[] Features, double[] Aurocs, double[] Largest) SelectFeatures(IShapesVlm model, ISparseAutoencoder sae, VlmSteeringConfig config,
        ShapesWorldGenerator world, ObjectAttribute attribute)
    {
        var (n, m) = (config.SelectionImages, sae.Config.DSae);
        var scores = new float[n, m];
        var scenes = new List<Scene>(n);
        for (var start = 0; start < n; start += config.BatchSize)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(config.BatchSize, n - start);
            using var batch = world.Batch(config.SelectionSeed, start, count, model.Device);
            scenes.AddRange(batch.Scenes);
            var perImage = VlmVisionActivations.Latents(model, sae, config.Hook, batch.Images).amax(1).cpu().contiguous().data<float>().ToArray();
            for (var i = 0; i < count; i++)
                for (var f = 0; f < m; f++) scores[start + i, f] = perImage[i * m + f];
        }
        var set = ConceptSet.FromScenes(scenes);
        var auroc = Auroc.Matrix(scores, set.Labels);
        var group = attribute.ToString().ToLowerInvariant();
        var words = AttributeWords.Words(attribute);
        var (features, aurocs, largest) = (new int[words.Length], new double[words.Length], new double[words.Length]);
        for (var v = 0; v < words.Length; v++)
        {
            var c = Enumerable.Range(0, set.Concepts.Count).Single(k => set.Concepts[k].Group == group && set.Concepts[k].Word == words[v]);
            var best = Enumerable.Range(0, m).Where(f => !double.IsNaN(auroc[f, c])).DefaultIfEmpty(-1).MaxBy(f => f < 0 ? double.NegativeInfinity : auroc[f, c]);
            if (best < 0) throw new InvalidOperationException($"no selection image shows {group}={words[v]}: raise SelectionImages");
            features[v] = best;
            aurocs[v] = auroc[best, c];
            for (var i = 0; i < n; i++) largest[v] = Math.Max(largest[v], scores[i, best]);
            if (largest[v] <= 0) throw new InvalidOperationException($"feature {best} (best for {group}={words[v]}) never fires: the SAE has no live feature for it");
        }
        return (features, aurocs, largest);
    }

    /// <summary>The greedy answer word to each question, with <paramref name="hook"/> (if any) at <paramref name="hookName"/>.</summary>
    static string[] Answers(IShapesVlm model, VlmVocabulary vocabulary, ShapesWorldGenerator world, IReadOnlyList<Scene> scenes,
        IReadOnlyList<QuestionAnswer> questions, string hookName, HookFn? hook, int batchSize)
    {
        var answers = new List<string>(scenes.Count);
        for (var start = 0; start < scenes.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(batchSize, scenes.Count - start);
            using var batch = world.Batch(scenes.Skip(start).Take(count).ToList(), model.Device);
            var (ids, lengths) = vocabulary.EncodeBatch(questions.Skip(start).Take(count).Select(q => q.Question).ToList(), model.MaxQuestionTokens, model.Device);
            using (model.Hooks.Scope())
            {
                if (hook is not null) model.Hooks.Add(hookName, hook);
                var predicted = model.AnswerLogits(batch.Images, ids, lengths).argmax(-1).cpu().data<long>().ToArray();
                answers.AddRange(predicted.Select(id => vocabulary.Token((int)id)));
            }
        }
        return answers.ToArray();
    }
}
