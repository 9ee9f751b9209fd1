using System.Text.Json;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>vlm-zoo/6: the zoo VLM as an HF LLaVA. In the trained-VLM collection (it seeds the global torch RNG).</summary>
[Collection(TrainedTinyVlmCollection.Name)]
public class ZooLlavaTests
{
    static readonly ClipVisionConfig Vision = new()
    {
        ImageSize = 8, PatchSize = 4, Tower = new ClipTowerConfig { HiddenSize = 16, IntermediateSize = 32, NumLayers = 2, NumHeads = 2 },
    };

    static ZooLlava Small(long seed = 3)
    {
        var vocabulary = ZooLlava.WordVocabulary(questionMark: false);
        manual_seed(seed);
        return new ZooLlava(new LlavaForConditionalGeneration(ZooLlava.Config(Vision, -1, vocabulary, 16, 2, 2, 6)), vocabulary);
    }

    static (Tensor Ids, Tensor Lengths) Encode(ZooLlava model, params string[] questions) =>
        model.Vocabulary.EncodeBatch(questions, model.MaxQuestionTokens);

    [Fact]
    public void TheZooLayoutIsTheHfMergedSequence()
    {
        using var model = Small();
        model.SetTraining(false);
        using var _ = no_grad();
        manual_seed(5);
        var pixels = rand(2, 3, 8, 8);
        string[] questions = ["what colour is the circle", "how many objects are there"];
        var (ids, lengths) = Encode(model, questions);
        var answers = model.AnswerLogits(pixels, ids, lengths);
        Assert.Equal(new long[] { 2, model.Vocabulary.Count }, answers.shape);
        Assert.Equal(1, model.ImageStart);
        Assert.Equal(4, model.ImageTokenCount);
        Assert.Equal(6, model.MaxQuestionTokens);
        for (var i = 0; i < 2; i++)
        {
            // The path a downloaded checkpoint takes: one image token in the prompt, widened and overwritten by the projected features.
            var prompt = model.PromptIds(questions[i]);
            Assert.Equal(model.Model.Config.ImageTokenId, prompt[1]);
            var merged = model.Model.Logits(prompt, pixels.narrow(0, i, 1));
            Assert.Equal(1 + 4 + lengths[i].item<long>(), merged.shape[1]);
            Assert.True(merged[0, -1].allclose(answers[i], rtol: 1e-4, atol: 1e-5));
        }
    }

    [Fact]
    public void ItIsSavedInHfLayoutAndLoadsAsBothKinds()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-zoollava-").FullName;
        try
        {
            using var model = Small();
            model.SetTraining(false);
            ZooLlavaCheckpoint.Save(model, dir);
            Assert.True(LlavaDirectory.IsLlavaDirectory(dir));
            Assert.True(ZooLlavaCheckpoint.IsZooLlavaDirectory(dir));
            Assert.False(VlmCheckpoint.IsVlmDirectory(dir));
            using var _ = no_grad();
            manual_seed(6);
            var pixels = rand(1, 3, 8, 8);
            var (ids, lengths) = Encode(model, "what shape is the red object");
            var expected = model.AnswerLogits(pixels, ids, lengths);

            var shapes = ZooLlavaCheckpoint.LoadShapes(dir);
            using (shapes.Model)
            {
                Assert.IsType<ZooLlava>(shapes.Model);
                Assert.Equal(model.Vocabulary.Tokens, shapes.Vocabulary.Tokens);
                Assert.True(shapes.Model.AnswerLogits(pixels, ids, lengths).allclose(expected));
            }
            // The HF road: config.json and the weights under HF's names; the preprocessor gives ShapesWorld's [0, 1] floats.
            var hf = LlavaCheckpoint.Load(dir, new LlavaLoadOptions { LoadTokenizer = false });
            using (hf.Model)
            {
                Assert.Equal(8, hf.ImageProcessor.OutputSize);
                Assert.True(hf.Model.Logits(model.PromptIds("what shape is the red object"), pixels)[0, -1].allclose(expected[0], rtol: 1e-4, atol: 1e-5));
            }
            File.WriteAllText(Path.Combine(dir, VlmVocabulary.FileName), JsonSerializer.Serialize(new[] { VlmVocabulary.Pad, "what" }));
            var e = Assert.Throws<InvalidDataException>(() => ZooLlavaCheckpoint.Load(dir));
            Assert.Contains("vocab_size", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheRecipeKeepsOlderIdsAndRefusesTheZooDecoderOptions()
    {
        Assert.DoesNotContain("Architecture", JsonSerializer.Serialize(VlmZooConfig.Default));
        Assert.DoesNotContain("PatchFill", JsonSerializer.Serialize(VlmZooConfig.Default));
        Assert.Throws<ArgumentException>(() => (VlmZooConfig.Default with { PatchFill = true }).Validate());
        Assert.Contains("\"Architecture\":\"llava\"", JsonSerializer.Serialize(VlmZooConfig.Llava));
        Assert.True(VlmZooConfig.Llava.Validate().IsLlava);
        // vlm-zoo/6 (no fill read-out) keeps its JSON, so its cached builds and RESULTS rows keep their ids.
        Assert.DoesNotContain("PatchFill", JsonSerializer.Serialize(VlmZooConfig.LlavaV6));
        Assert.Contains("\"Recipe\":\"vlm-zoo/6\"", JsonSerializer.Serialize(VlmZooConfig.LlavaV6));
        Assert.Equal(VlmZooConfig.LlavaV6 with { Recipe = "vlm-zoo/7", PatchFill = true }, VlmZooConfig.Llava);
        Assert.Throws<ArgumentException>(() => (VlmZooConfig.Llava with { BidirectionalImage = true }).Validate());
        Assert.Throws<ArgumentException>(() => (VlmZooConfig.Default with { Architecture = "gpt" }).Validate());
        Assert.Throws<ArgumentException>(() => new LlavaZooTrainer(VlmZooConfig.Default));
        Assert.Throws<ArgumentException>(() => new LlavaZooTrainer(VlmZooConfig.Llava with { VisionLearningRateScale = 0.1 }));
    }

    [Fact]
    public void TheTrainerLearnsAndTheStudyRunsOnIt()
    {
        var clip = new ClipZooConfig { ImageSize = 32, PatchSize = 8, VisionWidth = 16, VisionLayers = 2, Heads = 2, TextWidth = 16, TextLayers = 1, ProjectionDim = 16, Steps = 5, BatchSize = 16 };
        var config = VlmZooConfig.Llava with
        {
            Seed = 2, EvalSeed = 3, Steps = 40, PatchFill = true, BatchSize = 16, LearningRate = 3e-3, Clip = clip, LmWidth = 16, LmLayers = 2, LmHeads = 2, EvalImages = 16,
        };
        var notes = new List<string>();
        var (model, _, _, loss) = new LlavaZooTrainer(config).Train((_, note) => notes.Add(note));
        using (model)
        {
            Assert.True(double.IsFinite(loss));
            var first = double.Parse(notes.First(n => n.StartsWith("step 1/", StringComparison.Ordinal)).Split(" loss ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(loss < first, $"loss {loss} did not fall from {first}");
            Assert.All(model.Hooks.Names, n => Assert.Null(model.Hooks[n].Functions));
            Assert.All(model.Model.VisionTower.parameters(), p => Assert.False(p.requires_grad));
            var metrics = VlmEvaluator.Evaluate(model, model.Vocabulary, config.EvalSeed, 16, config.World);
            Assert.InRange(metrics.Overall, 0, 1);

            using var prompts = VlmPrompts.Build(model, model.Vocabulary, 11, 3, "colour", onlyCorrect: false);
            var tracing = CausalTracing.Run(model, prompts, new TracingOptions { NoiseSamples = 1, Kinds = ["resid"], ControlDraws = 1 });
            var p = model.ImageTokenCount;
            Assert.Equal(new[] { 3, model.LmLayers + 1, p + prompts.QuestionTokens }, Enumerable.Range(0, 3).Select(tracing.Maps["resid"].Prob.GetLength).ToArray());
            Assert.InRange(tracing.ObjectShare, 0, 1);
            var knockout = AttentionKnockout.Run(model, prompts, randomDraws: 1);
            Assert.Contains(knockout.Rows, r => r.Target == "object");
            var lens = LogitLens.Run(model, model.Vocabulary, prompts);
            Assert.Equal(model.LmLayers + 1, lens.Rows.Count);
        }
    }
}
