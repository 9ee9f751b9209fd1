using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.PipelineDenoiser;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Tests;
using MMInterp.Kernels.Zoo;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Zoo;

/// <summary>The steering lens on a U-Net (<see cref="UNetLens"/>): each level decoded through fitted translators and
/// the U-Net's own head, beside the model's own clean estimate, on the zoo U-Net and a diffusers pipeline.</summary>
public class UNetLensTests(ITestOutputHelper output)
{
    /// <summary>The lens's output row is the sampler's own clean-image estimate at every step (its guidance, DDIM and,
    /// for a pipeline, the VAE decode), so the levels above it are read through the same road. The pipeline runs a
    /// user's prompts, judged against the final image, which the last step's estimate is.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheOutputRowIsTheSamplersOwnCleanEstimate(bool pipeline)
    {
        string? dir = null;
        IUNetDenoiser model;
        if (pipeline)
        {
            dir = TinySdPipeline.Write(Directory.CreateTempSubdirectory("mminterp-sd-lens-").FullName, latentSide: 8);
            model = Assert.IsType<SdPipelineDenoiser>(ZooDenoiserCheckpoint.Load(dir, oracles: new AttributeOracleCache(Path.Combine(dir, "oracles"), steps: 60)));
        }
        else model = UNetZooDenoiserTests.Model();
        try
        {
            string[] user = ["a red cat", "a blue dog", "photo of a red dog"];
            var config = new LensConfig { Prompts = 3, Pictured = 2, FitPrompts = 4, UserPrompts = pipeline ? user : null };
            var lens = UNetLens.Run(model, config);
            var steps = model.Sampler(config.Seed).Steps;
            Assert.Equal(["down.0", "down.1", "mid", "up.0", "up.1", "output", "x_t"], lens.LayerNames);
            Assert.Equal(steps, lens.T.Count);
            Assert.All(SteeringLens.Scored, a => Assert.Equal(7, lens.Accuracy[a].Length));
            Assert.Equal(6, lens.TranslatorR2!.Count);
            Assert.All(lens.TranslatorR2.Values, r2 => Assert.True(r2 <= 1 && double.IsFinite(r2), $"R² {r2}"));
            // One cross-attention map per transformer block and token, over the image.
            Assert.Equal(model.Blocks.Select(b => b.Name), lens.CrossAttentionNames);
            Assert.Equal(lens.TokenWords[0].Count, lens.CrossAttention[0][0].Count);
            Assert.Equal(model.ImageSize * model.ImageSize, lens.CrossAttention[0][0][0].Length);

            using var scope = NewDisposeScope();
            IReadOnlyList<string> prompts = pipeline ? user : DiffusionEvaluator.PromptScenes(model.ImageSize, config.Seed, config.Prompts).Select(Captions.Describe).ToList();
            Assert.Equal(prompts, lens.Prompts);
            Assert.Equal(pipeline ? TrajectoryCurve.FinalImage : TrajectoryCurve.Prompt, lens.Reference);
            if (pipeline) Assert.All(SteeringLens.Scored, a => Assert.Equal(1.0, lens.Accuracy[a][^2][^1]));
            var own = new List<Tensor>();
            model.Sample(model.Text.Encode(prompts), model.Text.Encode(["", "", ""]), model.Sampler(config.Seed),
                (_, clean) => own.Add(FlowMatching.ToPixels(clean).cpu().DetachFromDisposeScope()));
            Assert.Equal(steps, own.Count);
            for (var k = 0; k < steps; k++)
                for (var p = 0; p < 2; p++)
                {
                    var gap = own[k][p].sub(tensor(lens.Images[p][^2][k]).view(own[k][p].shape)).abs().max().item<float>();
                    Assert.True(gap < 1e-4, $"step {k}, prompt {p}: the output row is {gap} from the sampler's own estimate");
                }
        }
        finally
        {
            model.Dispose();
            if (dir is not null) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>On the shipped zoo U-Net (recipe 2, training seed 0), prompts held out from the translators' fit: a
    /// quarter of the way through sampling the bottleneck already reads where the prompt puts the object, and half way
    /// the first up level reads its colour, while the same readout of the noisy input alone (the control) reads neither.</summary>
    [Fact]
    public void OnTheShippedUNetTheLensReadsLayoutAtTheBottleneckEarlyAndColourAtTheUpLevel()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-unet-lens-").FullName;
        try
        {
            ShippedUNet.TryRestore(ShippedUNet.Config!, dir);
            using var model = UNetZooCheckpoint.Load(dir);
            var lens = UNetLens.Run(model, new LensConfig { Prompts = 32, Pictured = 0, FitPrompts = 32 });
            foreach (var a in SteeringLens.Scored)
                output.WriteLine($"{a}: " + string.Join(" | ", lens.LayerNames.Select((n, r) => $"{n} " + string.Join(" ", lens.Accuracy[a][r].Select(x => x.ToString("0.00"))))));
            output.WriteLine("R2: " + string.Join(", ", lens.TranslatorR2!.Select(kv => $"{kv.Key} {kv.Value:0.000}")));
            Assert.All(lens.TranslatorR2!, kv => Assert.InRange(kv.Value, 0.05, 1.0));
            double Read(ObjectAttribute a, string row, int step) => lens.Accuracy[a][lens.LayerNames.ToList().IndexOf(row)][step];
            int quarter = lens.T.Count / 4, middle = lens.T.Count / 2;
            Assert.True(Read(ObjectAttribute.Position, "mid", quarter) >= 0.7, $"position from the bottleneck at step {quarter}: {Read(ObjectAttribute.Position, "mid", quarter)}");
            Assert.True(Read(ObjectAttribute.Position, "x_t", quarter) <= 0.4, $"position from x_t at step {quarter}: {Read(ObjectAttribute.Position, "x_t", quarter)}");
            Assert.True(Read(ObjectAttribute.Colour, "up.0", middle) >= 0.6, $"colour from up.0 at step {middle}: {Read(ObjectAttribute.Colour, "up.0", middle)}");
            Assert.True(Read(ObjectAttribute.Colour, "x_t", middle) <= 0.3, $"colour from x_t at step {middle}: {Read(ObjectAttribute.Colour, "x_t", middle)}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
