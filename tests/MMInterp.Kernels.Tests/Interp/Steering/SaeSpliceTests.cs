using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Interp.Steering;

/// <summary>The SAE splice: exact with its error term, a real change without it, and edits that do what they name.</summary>
[Collection(SteeringCollection.Name)]
public class SaeSpliceTests(SteeringFixture fx, ITestOutputHelper output)
{
    Tensor Logits(Tensor images, HookFn? fn)
    {
        using (fx.Model.Hooks.Scope())
        {
            if (fn is not null) fx.Model.Hooks.Add(SteeringFixture.Hook, fn);
            using var _ = no_grad();
            var prompts = Enumerable.Range(0, AttributeWords.Colours.Length).Select(v => Captions.Prompt(ObjectAttribute.Colour, v)).ToList();
            return fx.Model.LogitsPerImage(images, fx.Tokenizer.EncodeBatch(prompts, fx.Model.Config.Text.MaxPositions));
        }
    }

    [Fact]
    public void SpliceWithErrorTermReproducesTheBareModelAndReconstructionAloneDoesNot()
    {
        using var scope = NewDisposeScope();
        using var batch = new ShapesWorldGenerator(SteeringFixture.Config.World).Batch(31, 0, 16);
        var bare = Logits(batch.Images, null);
        var withError = Logits(batch.Images, SaeSplice.Hook(fx.Sae, SpliceMode.WithError));
        var reconstruction = Logits(batch.Images, SaeSplice.Hook(fx.Sae, SpliceMode.ReconstructionOnly));
        var exact = (withError - bare).abs().max().item<float>();
        var changed = (reconstruction - bare).abs().max().item<float>();
        var scale = bare.abs().max().item<float>();
        output.WriteLine($"max |logit| {scale:F2}; with error term {exact:E2}; reconstruction only {changed:E2}");
        Assert.True(exact <= 1e-5 * Math.Max(1, scale), $"splice with error term moved logits by {exact}");
        Assert.True(changed > 100 * exact && changed > 1e-3, $"reconstruction-only splice changed logits by only {changed}");
    }

    [Fact]
    public void EditsChangeOnlyWhatTheyName()
    {
        using var scope = NewDisposeScope();
        var z = rand(2, 3, fx.Sae.Config.DSae);
        var clamped = SaeSplice.Clamp(fx.Sae, 5, 7.0)(z);
        Assert.Equal(7f, clamped[.., .., 5].min().item<float>());
        Assert.Equal(0f, (clamped[.., .., 6] - z[.., .., 6]).abs().max().item<float>());
        var rows = SaeSplice.ClampRows(fx.Sae, [3, -1], [2f, 9f])(z);
        Assert.Equal(2f, rows[0, .., 3].max().item<float>());
        Assert.Equal(0f, (rows[1] - z[1]).abs().max().item<float>());
        var zeroed = SaeSplice.Zero(fx.Sae, [1, 4])(z);
        Assert.Equal(0f, zeroed[.., .., 1].abs().max().item<float>() + zeroed[.., .., 4].abs().max().item<float>());
        Assert.Equal(0f, (zeroed[.., .., 0] - z[.., .., 0]).abs().max().item<float>());
        var active = SaeSplice.Clamp(fx.Sae, 2, 5.0, ClampScope.ActiveTokens)(z.index_fill(2, tensor(new long[] { 2 }), MMInterp.Kernels.Tensors.Scalars.S(0.0)));
        Assert.Equal(0f, active[.., .., 2].abs().max().item<float>());
    }

    [Fact]
    public void RandomDirectionControlHasTheClampsNormAtEveryToken()
    {
        using var scope = NewDisposeScope();
        using var batch = new ShapesWorldGenerator(SteeringFixture.Config.World).Batch(32, 0, 2);
        var edit = SaeSplice.Clamp(fx.Sae, 0, 3.0);
        var direction = nn.functional.normalize(randn(2, fx.Sae.Config.DIn), dim: -1);
        Tensor Delta(HookFn fn)
        {
            var before = new ActivationCache();
            var after = new ActivationCache();
            using (fx.Model.Hooks.Scope())
            {
                fx.Model.Hooks.Add(SteeringFixture.Hook, Hook.Cache(before));
                fx.Model.Hooks.Add(SteeringFixture.Hook, fn);
                fx.Model.Hooks.Add(SteeringFixture.Hook, Hook.Cache(after));
                using var _ = no_grad();
                fx.Model.VisionModel.Forward(batch.Images);
            }
            var d = after[SteeringFixture.Hook] - before[SteeringFixture.Hook];
            before.Dispose(); after.Dispose();
            return d;
        }
        var clampDelta = Delta(SaeSplice.Hook(fx.Sae, SpliceMode.WithError, edit));
        var randomDelta = Delta(SaeSplice.EqualNormDirection(fx.Sae, edit, direction));
        var normGap = (clampDelta.norm(-1) - randomDelta.norm(-1)).abs().max().item<float>();
        Assert.True(normGap < 1e-3 * clampDelta.norm(-1).max().item<float>(), $"norms differ by {normGap}");
        var cosine = nn.functional.cosine_similarity(randomDelta, direction.unsqueeze(1).expand_as(randomDelta), -1);
        Assert.True(cosine.min().item<float>() > 0.999, "the control does not point along its direction");
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => SaeSplice.Clamp(fx.Sae, fx.Sae.Config.DSae, 1.0));
        Assert.Contains("out of range", e.Message);
        e = Assert.Throws<ArgumentException>(() => SaeSplice.ClampRows(fx.Sae, [1, 2], [1f]));
        Assert.Contains("one entry per image", e.Message);
        using var narrow = SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = 16, DSae = 32, K = 4 });
        e = Assert.Throws<ArgumentException>(() => SaeLatents.CheckHook(fx.Model, narrow, SteeringFixture.Hook));
        Assert.Contains("width", e.Message);
        e = Assert.Throws<ArgumentException>(() => SaeLatents.CheckHook(fx.Model, fx.Sae, "text.blocks.0.hook_resid_post"));
        Assert.Contains("not a vision hook", e.Message);
        using var scope = NewDisposeScope();
        using var batch = new ShapesWorldGenerator(SteeringFixture.Config.World).Batch(33, 0, 1);
        using (fx.Model.Hooks.Scope())
        {
            fx.Model.Hooks.Add(SteeringFixture.Hook, SaeSplice.Hook(narrow, SpliceMode.WithError));
            e = Assert.Throws<ArgumentException>(() => fx.Model.EncodeImage(batch.Images));
            Assert.Contains("SAE expects width 16", e.Message);
        }
    }
}
