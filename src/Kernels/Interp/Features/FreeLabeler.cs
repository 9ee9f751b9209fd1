using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using TorchSharp;
using static MMInterp.Kernels.Tensors.Scalars;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>
/// Free labels: names a feature by the vocabulary texts nearest to where its decoder direction moves the image
/// embedding. Main method (<see cref="FreeLabelMethod.SteeringDelta"/>): add the unit direction, scaled to the hook's
/// typical token norm, to every token at the hook on a few baseline images, run the rest of the vision tower and the
/// projection, and average the change of the normalised image embedding; the label is the text embedding with the
/// highest cosine to that change (prompts centred on their mean; the cosine calibrated as a z-score against random
/// directions pushed equally hard, see <see cref="FreeLabelConfig"/>). Projecting a mid-layer direction straight into the shared space (DESIGN §9: a known
/// weak method) skips the remaining blocks' non-linear reading of it; it is kept as
/// <see cref="FreeLabelMethod.DirectProjection"/>, a diagnostic to report beside the main one.
/// </summary>
public static class FreeLabeler
{
    /// <summary>Labels features of an SAE (all of them when <paramref name="features"/> is null).</summary>
    public static FreeLabel[] Label(ClipModel model, ClipBpeTokenizer tokenizer, ISparseAutoencoder sae, string hook,
        IReadOnlyList<string>? vocabulary = null, FreeLabelConfig? config = null, IReadOnlyList<int>? features = null)
    {
        using var scope = NewDisposeScope();
        var (chosen, ids) = ChosenDirections(sae, features);
        return LabelDirections(model, tokenizer, hook, chosen, ids, vocabulary, config);
    }

    /// <summary>The decoder directions of <paramref name="features"/> (every feature when null), checked against the SAE's size.</summary>
    static (Tensor Directions, int[] Ids) ChosenDirections(ISparseAutoencoder sae, IReadOnlyList<int>? features)
    {
        var ids = (features ?? Enumerable.Range(0, sae.Config.DSae).ToList()).ToArray();
        foreach (var f in ids)
            if (f < 0 || f >= sae.Config.DSae) throw new ArgumentException($"feature {f} out of range: the SAE has {sae.Config.DSae} features", nameof(features));
        var directions = DecoderDirections(sae);
        return (directions.index_select(0, tensor(ids.Select(i => (long)i).ToArray(), device: directions.device)), ids);
    }

    /// <summary>Decoder directions [m, d] in the caller's space: Decode(e_f) - Decode(0), so any SAE variant and its
    /// input normalisation are handled by the SAE itself.</summary>
    public static Tensor DecoderDirections(ISparseAutoencoder sae)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var m = sae.Config.DSae;
        var basis = eye(m, device: sae.Device);
        var d = sae.Decode(basis) - sae.Decode(zeros(1, m, device: sae.Device));
        return d.cpu().MoveToOuterDisposeScope();
    }

    /// <summary>Random Gaussian directions [count, width]: the control for free-label accuracy.</summary>
    public static Tensor RandomDirections(int count, int width, long seed)
    {
        using var gen = new Generator((ulong)seed);
        return randn(new long[] { count, width }, generator: gen);
    }

    /// <summary>Labels arbitrary directions [F, width] at a hook; <paramref name="ids"/> names them (feature indices).</summary>
    public static FreeLabel[] LabelDirections(ClipModel model, ClipBpeTokenizer tokenizer, string hook, Tensor directions, IReadOnlyList<int> ids,
        IReadOnlyList<string>? vocabulary = null, FreeLabelConfig? config = null)
    {
        var vocab = vocabulary ?? ConceptSet.StandardVocabulary;
        return LabelDirections(model, hook, directions, ids, vocab,
            device => nn.functional.normalize(model.EncodeText(tokenizer.EncodeBatch(vocab, model.Config.Text.MaxPositions, device)), dim: -1), config);
    }

    /// <summary>Labels features of an SAE with a <see cref="Vocabulary"/>'s concepts (see <see cref="ConceptEmbeddings"/>).</summary>
    public static FreeLabel[] Label(ClipModel model, ClipBpeTokenizer tokenizer, ISparseAutoencoder sae, string hook, Vocabulary vocabulary,
        FreeLabelConfig? config = null, IReadOnlyList<int>? features = null)
    {
        using var scope = NewDisposeScope();
        var (chosen, ids) = ChosenDirections(sae, features);
        return LabelDirections(model, tokenizer, hook, chosen, ids, vocabulary, config);
    }

    /// <summary>Labels arbitrary directions with a <see cref="Vocabulary"/>'s concepts; labels are concept names. The
    /// directions are pushed on <paramref name="baselineImages"/> (pixels [n >= BaselineImages, 3, H, W], e.g. a user's
    /// own images) when given, else on ShapesWorld scenes.</summary>
    public static FreeLabel[] LabelDirections(ClipModel model, ClipBpeTokenizer tokenizer, string hook, Tensor directions, IReadOnlyList<int> ids,
        Vocabulary vocabulary, FreeLabelConfig? config = null, Tensor? baselineImages = null) =>
        LabelDirections(model, hook, directions, ids, vocabulary.Concepts, device => ConceptEmbeddings(model, tokenizer, vocabulary, device), config, baselineImages);

    /// <summary>As the <see cref="Vocabulary"/> overload, with the concepts' embeddings [V, P] already computed by
    /// <see cref="ConceptEmbeddings"/> (a large vocabulary with many templates is worth embedding once per study).</summary>
    public static FreeLabel[] LabelDirections(ClipModel model, string hook, Tensor directions, IReadOnlyList<int> ids,
        Vocabulary vocabulary, Tensor conceptEmbeddings, FreeLabelConfig? config = null, Tensor? baselineImages = null)
    {
        if (conceptEmbeddings.dim() != 2 || conceptEmbeddings.shape[0] != vocabulary.Concepts.Count)
            throw new ArgumentException($"concept embeddings must be [{vocabulary.Concepts.Count}, P], got [{string.Join(",", conceptEmbeddings.shape)}]", nameof(conceptEmbeddings));
        return LabelDirections(model, hook, directions, ids, vocabulary.Concepts, device => conceptEmbeddings.to(device), config, baselineImages);
    }

    /// <summary>
    /// One unit text embedding per concept [V, P], CLIP's zero-shot recipe: the mean of its templates' normalised
    /// embeddings, normalised again. With a single template it is that template's normalised embedding (no second
    /// normalisation), so a one-template vocabulary labels exactly as the plain prompt list does.
    /// </summary>
    public static Tensor ConceptEmbeddings(ClipModel model, ClipBpeTokenizer tokenizer, Vocabulary vocabulary, Device? device = null, int maxPromptsPerBatch = 256)
    {
        device ??= model.LogitScale.device;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var t = vocabulary.Templates.Count;
        var perBatch = Math.Max(1, maxPromptsPerBatch / t);
        var parts = new List<Tensor>();
        for (var start = 0; start < vocabulary.Concepts.Count; start += perBatch)
        {
            var concepts = vocabulary.Concepts.Skip(start).Take(perBatch).ToList();
            var prompts = concepts.SelectMany(vocabulary.Prompts).ToList();
            var e = nn.functional.normalize(model.EncodeText(tokenizer.EncodeBatch(prompts, model.Config.Text.MaxPositions, device)), dim: -1);
            parts.Add(t == 1 ? e : nn.functional.normalize(e.view(concepts.Count, t, -1).mean([1]), dim: -1));
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The labeller proper: <paramref name="vocab"/> [V] names the concepts, <paramref name="textOf"/> gives their unit text embeddings [V, P].</summary>
    static FreeLabel[] LabelDirections(ClipModel model, string hook, Tensor directions, IReadOnlyList<int> ids, IReadOnlyList<string> vocab,
        Func<Device, Tensor> textOf, FreeLabelConfig? config, Tensor? baselineImages = null)
    {
        var c = (config ?? FreeLabelConfig.Default).Validate();
        HookLatents.CheckHook(model, hook);
        if (vocab.Count == 0) throw new ArgumentException("the vocabulary is empty", "vocabulary");
        if (vocab.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("the vocabulary has a blank entry", "vocabulary");
        if (directions.dim() != 2 || directions.shape[0] != ids.Count)
            throw new ArgumentException($"directions must be [{ids.Count}, width], got [{string.Join(",", directions.shape)}]", nameof(directions));
        if (baselineImages is not null && (baselineImages.dim() != 4 || baselineImages.shape[0] < c.BaselineImages))
            throw new ArgumentException($"baseline images must be [>= {c.BaselineImages}, 3, H, W], got [{string.Join(",", baselineImages.shape)}]", nameof(baselineImages));
        if (ids.Count == 0) return [];
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = model.LogitScale.device;
            var dirs = directions.to(float32).to(device);
            if (!dirs.isfinite().all().item<bool>()) throw new ArgumentException("directions contain NaN or inf", nameof(directions));
            var text = textOf(device);
            if (c.CentreText && vocab.Count > 1) text = nn.functional.normalize(text - text.mean([0], keepdim: true), dim: -1);
            var shiftsOf = ShiftFunction(model, hook, (int)dirs.shape[1], c, baselineImages);
            var cosines = nn.functional.normalize(shiftsOf(dirs), dim: -1).matmul(text.t()); // [F, V]
            var scores = cosines;
            if (c.ReferenceDirections > 1)
            {
                var reference = nn.functional.normalize(shiftsOf(RandomDirections(c.ReferenceDirections, (int)dirs.shape[1], c.ReferenceSeed).to(device)), dim: -1).matmul(text.t());
                scores = (cosines - reference.mean([0], keepdim: true)) / reference.std([0L], keepdim: true).clamp_min(S(1e-6));
            }
            var k = Math.Min(c.TopK, vocab.Count);
            var (values, indexes) = scores.cpu().topk(k, dim: 1);
            var v = values.to(float64).cpu().data<double>().ToArray();
            var ix = indexes.cpu().data<long>().ToArray();
            var cos = cosines.cpu().to(float64).data<double>().ToArray();
            var vocabSize = vocab.Count;
            return ids.Select((id, row) => new FreeLabel(id, Enumerable.Range(0, k).Select(j =>
            {
                var label = (int)ix[row * k + j];
                return new LabelScore(vocab[label], v[row * k + j], cos[row * vocabSize + label]);
            }).ToList())).ToArray();
        }
        finally
        {
            model.train(wasTraining);
            Release();
        }
    }

    /// <summary>How a batch of directions [F, w] moves the image embedding [F, P] under the configured method.</summary>
    static Func<Tensor, Tensor> ShiftFunction(ClipModel model, string hook, int width, FreeLabelConfig c, Tensor? baselineImages)
    {
        if (c.Method == FreeLabelMethod.DirectProjection) return dirs => DirectShifts(model, hook, dirs);
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = model.Config.Vision.ImageSize });
        var device = model.LogitScale.device;
        Tensor images, baseline;
        double tokenNorm;
        using (var batch = baselineImages is null ? world.Batch(c.BaselineSeed, 0, c.BaselineImages, device) : null)
        using (var cache = new ActivationCache())
        {
            images = batch is null ? baselineImages!.narrow(0, 0, c.BaselineImages).to(float32).to(device).clone() : batch.Images.clone();
            using (model.Hooks.Scope())
            {
                model.Hooks.Add(hook, Hook.Cache(cache));
                baseline = nn.functional.normalize(model.EncodeImage(images), dim: -1); // [B0, P]
            }
            var a = c.Tokens.Select(cache[hook], hook);
            if (a.shape[^1] != width)
                throw new ArgumentException($"directions have width {width} but hook '{hook}' has width {a.shape[^1]}", "directions");
            tokenNorm = a.reshape(-1, a.shape[^1]).norm(dim: 1).mean().item<float>();
        }
        return dirs => Shifts(model, hook, images, baseline, dirs, c.Strength * tokenNorm, c);
    }

    /// <summary>Mean change of the normalised image embedding when each direction, scaled to <paramref name="norm"/>,
    /// is added to every selected token at the hook [F, P] (at the pooled hook the rest of the tower is the visual projection).</summary>
    static Tensor Shifts(ClipModel model, string hook, Tensor images, Tensor baseline, Tensor dirs, double norm, FreeLabelConfig c)
    {
        var unit = dirs / dirs.norm(dim: 1, keepdim: true).clamp_min(S(1e-12));
        var b0 = c.BaselineImages;
        var perChunk = Math.Max(1, c.MaxBatchImages / b0);
        var parts = new List<Tensor>();
        for (long start = 0; start < dirs.shape[0]; start += perChunk)
        {
            var n = Math.Min(perChunk, dirs.shape[0] - start);
            var delta = unit.narrow(0, start, n).mul(S(norm)).repeat_interleave(b0, 0); // [n*B0, w]
            using (model.Hooks.Scope())
            {
                model.Hooks.Add(hook, (x, _) =>
                {
                    // Broadcast over every token (and head): [n*B0, 1, ..., 1, w].
                    var shape = new long[x.dim()];
                    Array.Fill(shape, 1L);
                    shape[0] = delta.shape[0];
                    shape[^1] = delta.shape[1];
                    return c.Tokens.AddOn(x, delta.view(shape), hook);
                });
                var steered = nn.functional.normalize(model.EncodeImage(images.repeat(n, 1, 1, 1)), dim: -1).view(n, b0, -1);
                parts.Add((steered - baseline.unsqueeze(0)).mean([1]));
            }
        }
        return cat(parts, 0);
    }

    /// <summary>Whether <see cref="FreeLabelMethod.DirectProjection"/> reads <paramref name="hook"/>: a residual stream, or
    /// the pooled output (where it is exact: the visual projection is all that follows).</summary>
    public static bool DirectProjectionApplies(string hook) =>
        hook.Contains("hook_resid", StringComparison.Ordinal) || hook == ClipVisionTransformer.PooledHook;

    /// <summary>LayerNorm's linear part (centre, times gamma) then the visual projection, per direction [F, P]; at the
    /// pooled hook, after the layer norm, the projection alone.</summary>
    static Tensor DirectShifts(ClipModel model, string hook, Tensor dirs)
    {
        var width = model.Config.Vision.Tower.HiddenSize;
        if (dirs.shape[1] != width || !DirectProjectionApplies(hook))
            throw new ArgumentException($"direct projection needs a residual-stream hook (or the pooled output) of width {width}; '{hook}' with width {dirs.shape[1]} is not one", nameof(hook));
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (hook == ClipVisionTransformer.PooledHook) return dirs.matmul(parameters["visual_projection.weight"].t());
        var gamma = parameters["vision_model.post_layernorm.weight"];
        var projection = parameters["visual_projection.weight"]; // [P, D]
        var centred = dirs - dirs.mean([1], keepdim: true);
        return (centred * gamma).matmul(projection.t());
    }
}
