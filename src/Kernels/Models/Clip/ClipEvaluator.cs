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
        return new ClipMetrics(colour, shape, recall, images, retrievalImages);
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
