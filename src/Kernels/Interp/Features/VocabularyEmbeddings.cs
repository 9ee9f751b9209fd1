using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>Text embeddings of a <see cref="Vocabulary"/>: per concept the mean of its prompts' normalised embeddings,
/// normalised again (CLIP's zero-shot recipe), on the model's device.</summary>
public static class VocabularyEmbeddings
{
    /// <summary>Prompts encoded per forward pass (a vocabulary of 1000 concepts and dozens of templates is large).</summary>
    const int Chunk = 256;

    /// <summary>[concepts, projection], rows of unit norm, in <see cref="Vocabulary.Concepts"/> order.</summary>
    public static Tensor Compute(ClipModel model, ClipBpeTokenizer tokenizer, Vocabulary vocabulary)
    {
        var prompts = vocabulary.Concepts.SelectMany(vocabulary.Prompts).ToList();
        var perConcept = vocabulary.Templates.Count;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var device = model.LogitScale.device;
            var parts = new List<Tensor>();
            for (var at = 0; at < prompts.Count; at += Chunk)
            {
                var chunk = prompts.Skip(at).Take(Chunk).ToList();
                parts.Add(nn.functional.normalize(model.EncodeText(tokenizer.EncodeBatch(chunk, model.Config.Text.MaxPositions, device)), dim: -1));
            }
            var all = parts.Count == 1 ? parts[0] : cat(parts, 0); // [concepts * templates, P], concept-major
            var mean = all.view(vocabulary.Concepts.Count, perConcept, -1).mean([1]);
            return nn.functional.normalize(mean, dim: -1).MoveToOuterDisposeScope();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
