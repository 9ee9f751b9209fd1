using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Sae;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>Steering an HF LLaVA through its vision tower on a user's examples (random tiny model and SAE: the
/// bookkeeping, the unsteered control and the refusals; whether steering works is a property of real models).</summary>
public class LlavaVlmSteeringTests
{
    static SparseAutoencoder Sae(int dIn) => SaeFactory.Create(new SaeConfig { Kind = SaeKind.Relu, DIn = dIn, DSae = 64, Seed = 7 });

    [Fact]
    public void EachAnswerIsSteeredOnTheExamplesWithAnotherAndTheUnsteeredControlIsTheModelsOwnAnswers()
    {
        using var data = new TinyLlavaData();
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        using var sae = Sae(32);
        const string hook = "vision.blocks.0.hook_resid_post";
        var r = VlmUserSteering.Run(subject, sae, hook, clampMultiple: 4);
        // The concepts are the answers' first tokens (the fixture's small vocabulary splits "yes" as "▁y" "es").
        Assert.Equal(["answer=▁circle", "answer=▁red", "answer=▁y"], r.Concepts.Select(c => c.Concept).Order().ToArray());
        Assert.All(r.Concepts, c => Assert.Equal(2, c.Images)); // three examples, three different answers
        Assert.Equal(6, r.Trials);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var own = Enumerable.Range(0, 3).Select(i => VlmSubjects.AnswerLogits(subject, subject.CleanImageTokens(i), [i]).argmax(-1).item<long>()).ToArray();
        Assert.Equal(Enumerable.Range(0, 3).Average(i => own[i] == subject.Answer(i) ? 1.0 : 0.0), r.CleanAccuracy, 9);
        foreach (var c in r.Concepts)
        {
            var token = Enumerable.Range(0, 3).Select(subject.Answer).Single(a => subject.TokenText(a) == c.Word);
            var others = Enumerable.Range(0, 3).Where(i => subject.Answer(i) != token).ToList();
            Assert.Equal(others.Average(i => own[i] == token ? 1.0 : 0.0), c.Baseline, 9);
            Assert.InRange(c.Success, 0, 1);
            Assert.InRange(c.RandomControl, 0, 1);
            Assert.True(c.ClampValue > 0);
        }
    }

    [Fact]
    public void AWrongHookAWrongWidthOrOneAnswerAreRefused()
    {
        using var data = new TinyLlavaData();
        var loaded = data.Load();
        using var model = loaded.Model;
        using var subject = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        using var sae = Sae(32);
        Assert.Contains("not a vision.* hook", Assert.Throws<ArgumentException>(() => VlmUserSteering.Run(subject, sae, "lm.blocks.0.hook_resid_post")).Message);
        using var wide = Sae(48);
        Assert.Contains("SAE d_in is 48", Assert.Throws<ArgumentException>(() => VlmUserSteering.Run(subject, wide, "vision.blocks.0.hook_resid_post")).Message);
        File.WriteAllLines(data.Jsonl, ["""{"image": "a.png", "question": "Is it big?", "answer": "yes"}""", """{"image": "b.png", "question": "Is it round?", "answer": "yes"}"""]);
        using var same = new LlavaVlmSubject(loaded, VlmUserData.Load(data.Jsonl));
        Assert.Contains("at least two different expected answers", Assert.Throws<ArgumentException>(() => VlmUserSteering.Run(same, sae, "vision.blocks.0.hook_resid_post")).Message);
    }
}
