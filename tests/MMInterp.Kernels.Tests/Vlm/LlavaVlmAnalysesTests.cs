using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Models.Llava;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>Causal tracing, attention knockout and the logit lens on an HF LLaVA over a user's JSONL (random tiny
/// model: the checks are identities that hold for any weights, and where the user's box and mask land).</summary>
public class LlavaVlmAnalysesTests
{
    [Fact]
    public void TheBoxAndTheMaskPickTheirPatchesAndAPromptWithoutThemIsNotScored()
    {
        using var data = new TinyLlavaData();
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        Assert.Equal(3, subject.Count);
        Assert.Equal(16, subject.ImageTokens);
        // The box [3.75,0,23.75,20] of the 48x40 image is [0,0,16,16] of the 32 px crop: the top-left 2x2 patches.
        Assert.Equal(Grid(0, 1, 4, 5), subject.ObjectPatches(0));
        // The mask's bottom-right quarter of the 40x40 image is the bottom-right 2x2 patches.
        Assert.Equal(Grid(10, 11, 14, 15), subject.ObjectPatches(1));
        Assert.Null(subject.ObjectPatches(2));
        // The image tokens sit where the template put <image>, and the answer is read at the prompt's last token.
        Assert.Equal(700, subject.TokenAt(0, subject.ImageStart(0)));
        Assert.Equal(subject.SequenceLength(0) - 1, subject.AnswerPosition(0));
        Assert.Equal("▁red", subject.TokenText(subject.Answer(0)));
    }

    static bool[] Grid(params int[] on) => Enumerable.Range(0, 16).Select(on.Contains).ToArray();

    [Fact]
    public void TheSubjectsLogitsAreTheModelsAndTheLensAtTheLastLayerIsThem()
    {
        using var data = new TinyLlavaData();
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var item = subject.Items[0];
        var ids = loaded.Template!.Encode(loaded.Tokenizer!, [Kernels.Text.ChatMessage.User(item.Question, 1)]).Select(x => (long)x).ToArray();
        var own = model.Logits(ids, loaded.ImageProcessor.ToPixels([item.Image]));
        var mine = subject.Logits(subject.CleanImageTokens(0), [0]);
        Assert.Equal(0f, (own - mine).abs().max().item<float>(), 5);
        var lens = AnswerLens.Decode(subject, 0);
        Assert.Equal(subject.Layers + 1, lens.Count);
        Assert.Equal(0f, (lens[^1] - mine).abs().max().item<float>(), 5);
        var result = AnswerLens.Run(subject, topK: 3);
        // The last state's answer rank is the model's own: each prompt's rank in its logits at the answer position.
        var ranks = Enumerable.Range(0, subject.Count).Select(i =>
        {
            var atAnswer = subject.Logits(subject.CleanImageTokens(i), [i])[0, subject.AnswerPosition(i)];
            return (double)atAnswer.gt(atAnswer[subject.Answer(i)]).sum().item<long>();
        }).ToList();
        Assert.Equal(ranks.Average(), result.Rows[^1].AnswerRank, 9);
        Assert.Equal(ranks.Count(x => x == 0) / 3.0, result.Rows[^1].AnswerTop1, 9);
        Assert.InRange(result.Rows[^1].ObjectAnswerTopK, 0, 1); // two prompts give their object: scored
        Assert.Equal(16, result.FirstPromptTop1[0].Length);
    }

    [Fact]
    public void TracingRestoresTheCleanRunAndScoresOnlyPromptsWithABoxOrMask()
    {
        using var data = new TinyLlavaData();
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        var r = CausalTracing.Run(subject, new TracingOptions { NoiseSamples = 2, Kinds = ["resid", "mlp"], ControlDraws = 2, BatchRows = 20 });
        var resid = r.Maps["resid"];
        var (p, q) = (r.ImageTokens, r.QuestionTokens);
        Assert.Equal(16, p);
        Assert.True(q >= 5, $"text columns {q}"); // the shortest question's tokens after the image, up to "ASSISTANT:"
        for (var i = 0; i < subject.Count; i++)
        {
            Assert.NotEqual(r.CleanProb[i], r.CorruptProb[i]);
            // The last layer's state at the answer position is the whole prediction.
            Assert.Equal(r.CleanProb[i], resid.Prob[i, subject.Layers, p + q - 1], 5);
            // Text after the image is not corrupted at the embeddings: restoring it there changes nothing.
            Assert.Equal(r.CorruptProb[i], resid.Prob[i, 0, p], 5);
        }
        Assert.Equal([true, true, false], r.Scored);
        Assert.InRange(r.ObjectShare, 0, 1);
        Assert.Equal(4.0 / 16, r.ChanceShare, 9);
        Assert.Equal(["clean_prob", "corrupted_prob", "tracing_object_share", "tracing_object_share_random_control",
                      "tracing_restore_object_prob", "tracing_restore_random_prob"], VlmHeadlines.Tracing(r).Keys);

        // Restoring every image token at the LM input gives back the clean probability exactly.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < subject.Count; i++)
        {
            var clean = subject.CleanImageTokens(i);
            var corrupted = clean + randn_like(clean).mul(r.NoiseStd);
            Assert.NotEqual(r.CleanProb[i], VlmSubjects.AnswerProbability(subject, corrupted, [i]).item<float>());
            corrupted.index_copy_(1, arange(p), clean);
            Assert.Equal((float)r.CleanProb[i], VlmSubjects.AnswerProbability(subject, corrupted, [i]).item<float>());
        }
    }

    [Fact]
    public void WithoutBoxesLocalisationIsReportedAsNotScored()
    {
        using var data = new TinyLlavaData();
        File.WriteAllLines(data.Jsonl, File.ReadAllLines(data.Jsonl).Skip(2));
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        var r = CausalTracing.Run(subject, new TracingOptions { NoiseSamples = 1, Kinds = ["resid"], ControlDraws = 1 });
        Assert.False(r.AnyScored);
        Assert.True(double.IsNaN(r.ObjectShare));
        Assert.Equal(["clean_prob", "corrupted_prob"], VlmHeadlines.Tracing(r).Keys);
        var k = AttentionKnockout.Run(subject, randomDraws: 1);
        Assert.DoesNotContain(k.Rows, x => x.Target != "image");
        Assert.Equal(["knockout_clean_accuracy", "knockout_image_drop"], VlmHeadlines.Knockout(k).Keys);
        var dir = Directory.CreateTempSubdirectory("mminterp-vlm-fig-").FullName;
        try
        {
            var files = VlmFigures.WriteTracing(dir, r, subject.FigureContext(r.QuestionTokens));
            Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
            Assert.True(new FileInfo(VlmFigures.WriteAnswerLens(dir, AnswerLens.Run(subject), subject.FigureContext(r.QuestionTokens))).Length > 0);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void KnockingOutNoKeysIsTheCleanRunAndAllImageKeysChangesIt()
    {
        using var data = new TinyLlavaData();
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        Assert.True(VlmSubjects.SameLayout(subject).Count > 1, "the questions differ in length: several batches");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < subject.Count; i++)
        {
            var clean = VlmSubjects.AnswerProbability(subject, subject.CleanImageTokens(i), [i]).item<float>();
            using (subject.Hooks.Scope())
            {
                var none = zeros(1, subject.SequenceLength(i), ScalarType.Bool);
                var query = tensor(new long[] { subject.AnswerPosition(i) });
                for (var l = 0; l < subject.Layers; l++) subject.Hooks.Add($"lm.blocks.{l}.attn.hook_pattern", VlmInterventions.Knockout(query, none));
                Assert.Equal(clean, VlmSubjects.AnswerProbability(subject, subject.CleanImageTokens(i), [i]).item<float>(), 6);
            }
        }
        var r = AttentionKnockout.Run(subject, randomDraws: 2);
        var image = r.Row("image", "all");
        Assert.NotEqual(0, image.ProbDrop);
        Assert.Equal(r.CleanProb - image.AnswerProb, image.ProbDrop, 9);
        Assert.Equal(3 * (subject.Layers + 1), r.Rows.Count); // image, object, random per layer set
    }
}
