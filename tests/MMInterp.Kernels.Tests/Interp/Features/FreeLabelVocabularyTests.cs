using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Tests.Zoo;
using MMInterp.Kernels.Text;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Interp.Features;

/// <summary>The free labeller fed a <see cref="Vocabulary"/>: the shapes built-in labels exactly as the prompt list
/// did, and several templates embed a concept as CLIP's zero-shot recipe does.</summary>
[Collection(TrainedTinyClipCollection.Name)]
public class FreeLabelVocabularyTests(TrainedTinyClipFixture trained)
{
    const string Hook = "vision.blocks.1.hook_resid_post";

    SparseAutoencoder Sae() => SaeFactory.Create(new SaeConfig
    {
        Kind = SaeKind.TopK, DIn = trained.Loaded.Model.Config.Vision.Tower.HiddenSize, DSae = 12, K = 3, TiedInit = false, Seed = 17,
    });

    [Fact]
    public void TheShapesVocabularyLabelsExactlyAsTheCaptionPromptsDo()
    {
        using var sae = Sae();
        var model = trained.Loaded.Model;
        var tokenizer = trained.Loaded.Tokenizer!;
        var config = new FreeLabelConfig { TopK = 3 };
        var before = FreeLabeler.Label(model, tokenizer, sae, Hook, ConceptSet.CaptionVocabulary, config);
        var after = FreeLabeler.Label(model, tokenizer, sae, Hook, BuiltInVocabularies.ShapesWorld(), config);
        Assert.Equal(before.Length, after.Length);
        for (var i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i].Feature, after[i].Feature);
            Assert.Equal(before[i].Top, after[i].Top); // labels, z-scores and cosines, to the last bit
        }
    }

    [Fact]
    public void SeveralTemplatesEmbedAConceptAsTheMeanOfTheirNormalisedEmbeddings()
    {
        var model = trained.Loaded.Model;
        var tokenizer = trained.Loaded.Tokenizer!;
        var vocabulary = new Vocabulary("colours", ["red", "green", "blue"], ["a photo of a {} object", "a {} circle", "a picture of a {} square"]);
        using var scope = NewDisposeScope();
        // Two prompts per batch forces the concepts through several batches.
        var embeddings = FreeLabeler.ConceptEmbeddings(model, tokenizer, vocabulary, maxPromptsPerBatch: 4);
        Assert.Equal(new long[] { 3, model.Config.ProjectionDim }, embeddings.shape);
        using (no_grad())
        {
            for (var c = 0; c < 3; c++)
            {
                var prompts = vocabulary.Prompts(vocabulary.Concepts[c]).ToList();
                var each = nn.functional.normalize(model.EncodeText(tokenizer.EncodeBatch(prompts, model.Config.Text.MaxPositions, CPU)), dim: -1);
                var expected = nn.functional.normalize(each.mean([0]), dim: -1);
                Assert.True(expected.allclose(embeddings[c], rtol: 1e-5, atol: 1e-6), $"concept {vocabulary.Concepts[c]}");
                Assert.True(Math.Abs(embeddings[c].norm().item<float>() - 1) < 1e-5);
            }
        }
        using var sae = Sae();
        var labels = FreeLabeler.Label(model, tokenizer, sae, Hook, vocabulary, new FreeLabelConfig { TopK = 2 }, [0, 5]);
        Assert.Equal([0, 5], labels.Select(l => l.Feature));
        Assert.All(labels, l => Assert.All(l.Top, s => Assert.Contains(s.Label, vocabulary.Concepts)));
    }
}
