using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Training;
using MMInterp.Kernels.Zoo;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Zoo;

/// <summary>The zoo U-Net's recipe on a tiny config: it learns, it is deterministic, and its directory round-trips.</summary>
public class UNetZooTests
{
    static readonly UNetZooConfig Tiny = UNetZooConfig.Default with
    {
        ImageSize = 16, Width = 16, Levels = 2, HeadWidth = 8, NormGroups = 4, Steps = 60, BatchSize = 8, LearningRate = 3e-3,
        SampleSteps = 3, EvalImages = 8, ClassifierSteps = 3, ContextLength = 14,
    };

    static (ClipModel Clip, Kernels.Text.ClipBpeTokenizer Tokenizer) TextEncoder()
    {
        var tokenizer = ShapesVocabulary.Build();
        manual_seed(3);
        return (new ClipModel(ClipZooConfig.Default.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId)), tokenizer);
    }

    [Fact]
    public void TrainingLowersTheNoiseLossAndRepeatsExactly()
    {
        var (clip, tokenizer) = TextEncoder();
        using var _ = clip;
        var text = new TextConditioner(clip, tokenizer, Tiny.ContextLength);
        var (a, _, lossA, _) = new UNetZooTrainer(Tiny).Train(text);
        var (b, _, lossB, _) = new UNetZooTrainer(Tiny).Train(text);
        using var untrained = TorchRuntime.Seeded(Tiny.Seed, () => new UNet2DConditionModel(Tiny.UNet(text.Width)));
        using (a)
        using (b)
        {
            // Held-out noise-prediction error on real images (seed 9): the untrained U-Net's is about 1 (it predicts
            // almost nothing); 60 steps of the 16-wide U-Net bring it to about a quarter of that (measured 0.31 against 1.17).
            var before = DiffusionEvaluator.DenoisingLoss(Judged(untrained, text), 9, 64);
            var after = DiffusionEvaluator.DenoisingLoss(Judged(a, text), 9, 64);
            Assert.True(before > 0.8, $"untrained loss {before}");
            Assert.True(after < 0.5 * before, $"loss after 60 steps {after} (untrained {before})");
            Assert.Equal(lossA, lossB);
            foreach (var ((name, pa), (_, pb)) in a.named_parameters().Zip(b.named_parameters()))
                Assert.True(pa.eq(pb).all().item<bool>(), $"{name} differs between two runs of the same recipe");
        }
    }

    // The model the analyses see, for a U-Net the test owns (an untrained classifier; nothing here reads it).
    static UNetZooModel Judged(UNet2DConditionModel unet, TextConditioner text) => new(unet, text, new AttributeClassifier(Tiny.ImageSize), Tiny);

    [Fact]
    public void BuiltDirectoryLoadsTheSameModelInDiffusersFolders()
    {
        var (clip, tokenizer) = TextEncoder();
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-unet-zoo-{Guid.NewGuid():N}");
        try
        {
            var (metrics, built, _) = new UNetZooTrainer(Tiny with { Steps = 3 }).Build(clip, tokenizer, dir);
            using (built)
            using (var loaded = UNetZooCheckpoint.Load(dir))
            {
                Assert.Equal(Tiny with { Steps = 3 }, loaded.Config);
                Assert.InRange(metrics.ColourAccuracy, 0, 1);
                Assert.Equal(8, metrics.EvalImages);
                // diffusers' folders: a U-Net config and weights, a DDIM scheduler config equal to the recipe's.
                Assert.Equal(UNetZooConfig.Scheduler, SchedulerConfigJson.Read(Path.Combine(dir, "scheduler", "scheduler_config.json")));
                Assert.True(File.Exists(Path.Combine(dir, "unet", "diffusion_pytorch_model.safetensors")));
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var x = randn(2, 3, 16, 16, generator: new Generator(5));
                var states = built.Text.Encode(["a red circle", ""]).Tokens;
                var t = tensor(new float[] { 10, 900 });
                Assert.True(built.UNet.Forward(x, t, states).allclose(loaded.UNet.Forward(x, t, loaded.Text.Encode(["a red circle", ""]).Tokens), rtol: 0, atol: 1e-6));
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void BadRecipeFieldsAreNamed()
    {
        Assert.Contains("EvalSeed", Assert.Throws<ArgumentException>(() => (Tiny with { EvalSeed = Tiny.Seed }).Validate()).Message);
        Assert.Contains("ImageSize", Assert.Throws<ArgumentException>(() => (Tiny with { ImageSize = 18, Levels = 3 }).Validate()).Message);
        Assert.Contains("HeadWidth", Assert.Throws<ArgumentException>(() => (Tiny with { HeadWidth = 5 }).Validate()).Message);
        Assert.Contains("NormGroups", Assert.Throws<ArgumentException>(() => (Tiny with { NormGroups = 3 }).Validate()).Message);
    }

    [Fact]
    public void TheRecipesUNetIsDiffusersShaped()
    {
        var u = UNetZooConfig.Default.UNet(64);
        Assert.Equal([32, 64], u.BlockOutChannels);
        Assert.Equal([UNetConfig.Down, UNetConfig.CrossAttnDown], u.DownBlockTypes);
        Assert.Equal([UNetConfig.CrossAttnUp, UNetConfig.Up], u.UpBlockTypes);
        Assert.Equal(16, u.SampleSize);
        Assert.Equal(3, u.InChannels);
        Assert.Equal(64, u.CrossAttentionDim);
    }

    [Fact]
    public void ClipGradNormReportsANonFiniteGradient()
    {
        // The U-Net trainer recomputes a step whose gradient norm is not finite (a sporadic libtorch fault); this is
        // the signal it relies on.
        using var p = new TorchSharp.Modules.Parameter(ones(3));
        using var optimizer = new AdamW([(p, 0.0)]);
        p.grad = tensor(new float[] { 1, float.NaN, 2 });
        Assert.False(double.IsFinite(optimizer.ClipGradNorm(1.0)));
        p.grad = tensor(new float[] { 3, 4, 0 });
        Assert.Equal(5.0, optimizer.ClipGradNorm(1.0), 4);
    }
}
