using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Zoo;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Zoo;

/// <summary>The zoo U-Net as the diffusion analyses read it (<see cref="IZooDenoiser"/>): its coordinate input, its
/// noise levels, its activations as tokens, and the temporal analysis run on it.</summary>
public class UNetZooDenoiserTests
{
    static readonly UNetZooConfig Tiny = UNetZooConfig.Default with
    {
        ImageSize = 16, Width = 16, Levels = 2, HeadWidth = 8, NormGroups = 4, SampleSteps = 4, ContextLength = 14, CoordinateInput = true,
    };

    internal static UNetZooModel Model()
    {
        var tokenizer = ShapesVocabulary.Build();
        manual_seed(3);
        var clip = new ClipModel(ClipZooConfig.Default.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId));
        clip.eval();
        var text = new TextConditioner(clip, tokenizer, Tiny.ContextLength);
        var unet = TorchRuntime.Seeded(Tiny.Seed, () => new UNet2DConditionModel(Tiny.UNet(text.Width)));
        unet.eval();
        var classifier = TorchRuntime.Seeded(4, () => new AttributeClassifier(Tiny.ImageSize));
        return new UNetZooModel(unet, text, classifier, Tiny);
    }

    [Fact]
    public void CoordinateChannelsFollowTheImageAsColumnAndRow()
    {
        var u = Tiny.UNet(64);
        Assert.Equal(5, u.InChannels);
        Assert.Equal(3, u.OutChannels);
        using var x = zeros(2, 3, 16, 16);
        using var input = CoordinateChannels.Input(u, x);
        Assert.Equal([2L, 5, 16, 16], input.shape);
        // Channel 3 runs left to right, channel 4 top to bottom, both from -1 to 1.
        Assert.Equal(-1f, input[1, 3, 0, 0].item<float>());
        Assert.Equal(1f, input[1, 3, 0, 15].item<float>());
        Assert.Equal(-1f, input[1, 4, 0, 15].item<float>());
        Assert.Equal(1f, input[1, 4, 15, 0].item<float>());
        // A U-Net without them reads the image alone.
        Assert.Same(x, CoordinateChannels.Input((Tiny with { CoordinateInput = false }).UNet(64), x));
    }

    [Fact]
    public void NoiseLevelsMapOntoTheDdpmSchedule()
    {
        using var model = Model();
        using var s = tensor(new[] { 0.0f, 0.5f, 1.0f });
        Assert.Equal([0L, 500, 999], model.Timesteps(s).data<long>().ToArray());
        // Level 1 is (almost) pure noise, level 0 (almost) the clean image.
        using var x0 = ones(3, 3, 16, 16);
        using var eps = zeros(3, 3, 16, 16);
        var noised = model.Noise(x0, s, eps).mean([1, 2, 3]).data<float>().ToArray();
        Assert.InRange(noised[0], 0.99, 1.0);
        Assert.InRange(noised[2], 0.0, 0.01);
    }

    [Fact]
    public void FeatureMapsBecomeTokensOnTheirGrid()
    {
        using var model = Model();
        using var map = arange(2 * 4 * 3 * 3, dtype: ScalarType.Float32).view(2, 4, 3, 3);
        using var tokens = model.Tokens("unet.down.1.hook_out", map);
        Assert.Equal([2L, 9, 4], tokens.shape);
        // Token (row 1, column 2) of image 1 holds that pixel's four channels.
        Assert.Equal(map[1, .., 1, 2].data<float>().ToArray(), tokens[1, 5].data<float>().ToArray());
        Assert.Equal(8, TimestepActivations.Patch(16, 4, "unet.mid.hook_out"));
        Assert.Contains("square grid", Assert.Throws<ArgumentException>(() => TimestepActivations.Patch(16, 6, "h")).Message);
    }

    [Fact]
    public void TheTemporalAnalysisReadsEveryBlockAndTheSampler()
    {
        using var model = Model();
        var result = TemporalAnalysis.Run(model, new TemporalConfig
        {
            Timesteps = [1.0, 0.0], Attributes = [ObjectAttribute.Colour], TrainImages = 160, TestImages = 80, ProbeSteps = 150, TrajectoryPrompts = 8,
        });
        Assert.Equal(model.BlockHooks, result.Hooks);
        Assert.Equal(5, result.Hooks.Count);
        var colour = result.Curve(ObjectAttribute.Colour);
        // Even random convolutions carry a clean image's colour; pure noise carries none (chance 1/8).
        Assert.True(colour.Accuracy[1] >= 0.5, $"colour at level 0: {colour.Accuracy[1]}");
        Assert.True(colour.Accuracy[0] <= 0.3, $"colour at level 1 (pure noise): {colour.Accuracy[0]}");
        Assert.True(colour.PixelControl[1] >= 0.5, $"pixel control at level 0: {colour.PixelControl[1]}");
        var trajectory = result.Trajectory!;
        Assert.Equal(Tiny.SampleSteps, trajectory.T.Count);
        Assert.InRange(trajectory.T[0], 0.99, 1.0);
        Assert.True(trajectory.T.Zip(trajectory.T.Skip(1)).All(p => p.First > p.Second), string.Join(", ", trajectory.T));
    }

    [Fact]
    public void BlocksAreTheTransformerBlocksAndSkippingOnePassesItsInputOn()
    {
        using var model = Model();
        // Levels [16, 32]: attention at level 1 only: one down, the mid, and two up (layers_per_block + 1).
        Assert.Equal(["down.1.attn.0", "mid.attn.0", "up.0.attn.0", "up.0.attn.1"], model.Blocks.Select(b => b.Name));
        Assert.Equal(8, model.AttentionSites.Count);
        Assert.All(model.AttentionSites, s => Assert.Equal(4, s.Heads));
        Assert.Equal(["attn", "cross_attn"], model.AttentionSites.Where(s => s.Block == 1).Select(s => s.Kind));
        var mid = model.Blocks[1];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(2, 3, 16, 16, generator: new TorchSharp.torch.Generator(5));
        var s = tensor(new[] { 0.3f, 0.7f });
        var text = model.Text.Encode(["a red circle in the centre", ""]);
        Tensor Out(Ablation ablation, out Tensor input, out Tensor output)
        {
            using var cache = new ActivationCache();
            using (model.Hooks.Scope())
            {
                ablation.Attach(model.Hooks);
                model.Hooks.Add(mid.InputHook, Hook.Cache(cache));
                model.Hooks.Add(mid.OutputHook, Hook.Cache(cache));
                var prediction = model.Forward(x, s, text);
                input = cache[mid.InputHook].clone();
                output = cache[mid.OutputHook].clone();
                return prediction;
            }
        }
        var plain = Out(Ablation.None, out var plainIn, out var plainOut);
        var skipped = Out(Ablation.OfBlocks(model, [1]), out var skipIn, out var skipOut);
        Assert.False(plainIn.allclose(plainOut), "the mid attention block changes its input");
        Assert.True(skipIn.eq(skipOut).all().item<bool>(), "a skipped block's output is its input");
        Assert.True(plainIn.eq(skipIn).all().item<bool>(), "blocks before the skipped one are untouched");
        Assert.False(plain.allclose(skipped), "skipping a block changes the prediction");
    }

    [Fact]
    public void HeadRolesAndAblationsRunOnTheUNet()
    {
        using var model = Model();
        var roles = HeadRoles.Classify(model, new HeadRoleConfig { TrainImages = 32, TestImages = 16, ProbeSteps = 20 });
        Assert.Equal(model.AttentionSites.Sum(s => s.Heads), roles.Count);
        Assert.All(roles, r => Assert.True(double.IsFinite(r.Edge) && double.IsFinite(r.Texture) && double.IsFinite(r.Semantic) && double.IsFinite(r.Composition), $"{r}"));
        var standard = DiffusionAblation.Standard(model, heads: true);
        Assert.Equal(model.Blocks.Count + 1 + model.AttentionSites.Sum(s => s.Heads), standard.Count);
        var result = DiffusionAblation.Run(model, new AblationConfig { Images = 8, SampleSteps = 2, LossImages = 16 }, [standard[model.Blocks.Count]]);
        Assert.Equal(0.0, result.Baseline.LossIncrease);
        Assert.NotEqual(result.Baseline.Loss, result.Effects[0].Loss);
    }

    [Fact]
    public void ClipSkipReadsAnEarlierLayerThroughTheFinalNorm()
    {
        using var model = Model();
        var clip = model.Text.Clip;
        var layers = clip.Config.Text.Tower.NumLayers;
        string[] captions = ["a red circle", "a blue circle"];
        using var scope = NewDisposeScope();
        // Skipping every layer leaves the normed token embeddings: "circle" no longer sees the colour before it.
        var embedded = new TextConditioner(clip, model.Text.Tokenizer, 14, clipSkip: layers).Encode(captions).Tokens;
        var last = new TextConditioner(clip, model.Text.Tokenizer, 14).Encode(captions).Tokens;
        Assert.True(embedded[0, 3].allclose(embedded[1, 3]), "without layers, a token's state is its own");
        Assert.False(last[0, 3].allclose(last[1, 3]), "through the layers, it reads the tokens before it");
        Assert.InRange(embedded[0, 3].norm().item<float>(), 0.95 * Math.Sqrt(clip.Config.Text.Tower.HiddenSize), 1.01 * Math.Sqrt(clip.Config.Text.Tower.HiddenSize)); // normed
        Assert.Contains("clipSkip", Assert.Throws<ArgumentException>(() => new TextConditioner(clip, model.Text.Tokenizer, 14, clipSkip: layers + 1)).Message);
    }
}
