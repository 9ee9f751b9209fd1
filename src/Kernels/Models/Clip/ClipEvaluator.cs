using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>Zero-shot attribute accuracy (single-object images against one prompt per value) and image->text
/// recall@5 on a held-out seed.</summary>
public static class ClipEvaluator
{
    public static ClipMetrics Evaluate(ClipModel model, ClipBpeTokenizer tokenizer, long evalSeed, int images, int imageSize, int batchSize = 256)
    {
        var colour = ZeroShot(model, tokenizer, ObjectAttribute.Colour, evalSeed, images, imageSize, batchSize);
        var shape = ZeroShot(model, tokenizer, ObjectAttribute.Shape, evalSeed, images, imageSize, batchSize);
        var retrievalImages = Math.Min(images, 256);
        var recall = RecallAt5(model, tokenizer, evalSeed, retrievalImages, imageSize);
        return new ClipMetrics(colour, shape, recall, images, retrievalImages) { Attack = Attack(model, tokenizer, evalSeed, images, imageSize, batchSize) };
    }

    /// <summary>The typographic attack: single-object scenes of <paramref name="seed"/>, each with a word naming another
    /// value of its colour or shape, judged by zero-shot accuracy on the attribute the word names.</summary>
    public static TypographicAttackMetrics Attack(ClipModel model, ClipBpeTokenizer tokenizer, long seed, int images, int imageSize, int batchSize = 256)
    {
        var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = imageSize, MinObjects = 1, MaxObjects = 1, OverlayRate = 1, AttackRate = 1 });
        var attacked = Enumerable.Range(0, images).Select(i => world.Scene(seed, i)).ToList();
        var truth = attacked.Select(s => s.Objects[0].Value(s.Overlay!.Attribute)).ToList();
        var written = attacked.Select(s => s.Overlay!.Value).ToList();
        var clean = Predict(model, tokenizer, world, attacked.Select(s => s with { Overlay = null }).ToList(), attacked, batchSize);
        var attackedPredictions = Predict(model, tokenizer, world, attacked, attacked, batchSize);
        var trueWord = Predict(model, tokenizer, world, attacked.Select(s => s.WithTrueWord()).ToList(), attacked, batchSize);
        double Share(IReadOnlyList<int> predicted, IReadOnlyList<int> target) => Enumerable.Range(0, images).Count(i => predicted[i] == target[i]) / (double)images;
        var words = AttributeWords.Colours.Concat(AttributeWords.Shapes).ToList();
        var read = Nearest(model, tokenizer, world, attacked, words.Select(Captions.WordPhrase).ToList(), batchSize);
        var writtenWord = attacked.Select(s => words.IndexOf(s.Overlay!.Word)).ToList();
        return new TypographicAttackMetrics(Share(clean, truth), Share(attackedPredictions, truth), Share(trueWord, truth), Share(attackedPredictions, written),
            Share(read, writtenWord), images);
    }

    /// <summary>Per scene, the index of the nearest of <paramref name="texts"/>.</summary>
    static IReadOnlyList<int> Nearest(ClipModel model, ClipBpeTokenizer tokenizer, ShapesWorldGenerator world, IReadOnlyList<Scene> scenes, IReadOnlyList<string> texts, int batchSize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var wasTraining = model.training;
        model.eval();
        var device = model.LogitScale.device;
        var text = nn.functional.normalize(model.EncodeText(tokenizer.EncodeBatch(texts, model.Config.Text.MaxPositions, device)), dim: -1);
        var nearest = new List<int>(scenes.Count);
        for (var start = 0; start < scenes.Count; start += batchSize)
        {
            using var inner = NewDisposeScope();
            using var batch = world.Batch(scenes.Skip(start).Take(Math.Min(batchSize, scenes.Count - start)).ToList(), device);
            nearest.AddRange(nn.functional.normalize(model.EncodeImage(batch.Images), dim: -1).matmul(text.t()).argmax(-1).cpu().data<long>().ToArray().Select(x => (int)x));
        }
        model.train(wasTraining);
        return nearest;
    }

    /// <summary>Zero-shot value of the attribute each reference scene's word names, for the rendered <paramref name="scenes"/>.</summary>
    static IReadOnlyList<int> Predict(ClipModel model, ClipBpeTokenizer tokenizer, ShapesWorldGenerator world, IReadOnlyList<Scene> scenes, IReadOnlyList<Scene> reference, int batchSize)
    {
        static List<string> Prompts(ObjectAttribute a) => Enumerable.Range(0, AttributeWords.Count(a)).Select(v => Captions.Prompt(a, v)).ToList();
        var colour = Nearest(model, tokenizer, world, scenes, Prompts(ObjectAttribute.Colour), batchSize);
        var shape = Nearest(model, tokenizer, world, scenes, Prompts(ObjectAttribute.Shape), batchSize);
        return reference.Select((r, i) => r.Overlay!.Attribute == ObjectAttribute.Colour ? colour[i] : shape[i]).ToList();
    }

    /// <summary>Accuracy of choosing the object's attribute value among all values' prompts.</summary>
    public static double ZeroShot(ClipModel model, ClipBpeTokenizer tokenizer, ObjectAttribute attribute, long seed, int images, int imageSize, int batchSize = 256, ShapesWorldConfig? world = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var wasTraining = model.training;
        model.eval();
        var device = model.LogitScale.device;
        var generator = new ShapesWorldGenerator(world ?? new ShapesWorldConfig { ImageSize = imageSize, MinObjects = 1, MaxObjects = 1 });
        var textEmbeds = PromptEmbeddings(model, tokenizer, attribute);
        long correct = 0;
        for (var start = 0; start < images; start += batchSize)
        {
            using var inner = NewDisposeScope();
            using var batch = generator.Batch(seed, start, Math.Min(batchSize, images - start), device);
            var imageEmbeds = nn.functional.normalize(model.EncodeImage(batch.Images), dim: -1);
            var predicted = imageEmbeds.matmul(textEmbeds.t()).argmax(-1);
            correct += predicted.eq(batch.FirstObject(attribute)).sum().item<long>();
        }
        model.train(wasTraining);
        return (double)correct / images;
    }

    /// <summary>Unit-norm text embeddings of the zero-shot prompts of every value of <paramref name="attribute"/>,
    /// in value order. [values, P] on the model's device.</summary>
    public static Tensor PromptEmbeddings(ClipModel model, ClipBpeTokenizer tokenizer, ObjectAttribute attribute)
    {
        var device = model.LogitScale.device;
        var prompts = Enumerable.Range(0, AttributeWords.Count(attribute)).Select(v => Captions.Prompt(attribute, v)).ToList();
        return nn.functional.normalize(model.EncodeText(tokenizer.EncodeBatch(prompts, model.Config.Text.MaxPositions, device)), dim: -1);
    }

    /// <summary>Image->text recall@5 with full captions of 1-2 object scenes; a retrieved caption counts when its text
    /// equals the true caption (identical scenes make identical captions).</summary>
    public static double RecallAt5(ClipModel model, ClipBpeTokenizer tokenizer, long seed, int images, int imageSize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var wasTraining = model.training;
        model.eval();
        var device = model.LogitScale.device;
        var generator = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = imageSize });
        using var batch = generator.Batch(seed, 0, images, device);
        var captions = batch.Captions.ToList();
        var logits = model.LogitsPerImage(batch.Images, tokenizer.EncodeBatch(captions, model.Config.Text.MaxPositions, device));
        var top = logits.topk(Math.Min(5, images), dim: -1).indexes.cpu().data<long>().ToArray();
        var k = Math.Min(5, images);
        var hits = 0;
        for (var i = 0; i < images; i++)
            if (Enumerable.Range(0, k).Any(j => captions[(int)top[i * k + j]] == captions[i])) hits++;
        model.train(wasTraining);
        return (double)hits / images;
    }
}
