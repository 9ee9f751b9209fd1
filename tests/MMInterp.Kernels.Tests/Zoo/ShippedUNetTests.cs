using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Zoo;

/// <summary>The default zoo U-Net ships with the code (<see cref="ShippedUNet"/>): it is the default recipe's, it
/// measures what it records on the held-out split, and the recipe still rebuilds it bit for bit.</summary>
public class ShippedUNetTests
{
    static UNetZooConfig Shipped => ShippedUNet.Config ?? throw new InvalidOperationException("no zoo U-Net is shipped");

    [Fact]
    public void TheDefaultRecipeIsTheShippedOne() => Assert.Equal(UNetZooConfig.Default, Shipped);

    [Fact]
    public void AnotherConfigIsNotRestored()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-shipped-unet-").FullName;
        try
        {
            Assert.Null(ShippedUNet.TryRestore(Shipped with { Seed = Shipped.Seed + 1 }, dir));
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Restored (every file checked against the manifest), it loads as a zoo U-Net whose held-out images score
    /// what zoo.json records, within 0.02 (sampling runs libtorch's oneDNN, whose kernels differ by CPU), and its
    /// conditioning is the shipped zoo CLIP's.</summary>
    [Fact]
    public void TheShippedCheckpointMeasuresWhatItRecords()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-shipped-unet-").FullName;
        try
        {
            Assert.Equal(ShippedUNet.Checkpoint.Files.Count, ShippedUNet.TryRestore(Shipped, dir)!.Count);
            using var model = UNetZooCheckpoint.Load(dir);
            var recorded = ShippedUNet.Metrics!;
            var classifier = new Dictionary<ObjectAttribute, double>
            {
                [ObjectAttribute.Colour] = recorded.ClassifierColour, [ObjectAttribute.Shape] = recorded.ClassifierShape,
                [ObjectAttribute.Position] = recorded.ClassifierPosition, [ObjectAttribute.Size] = recorded.ClassifierSize,
                [ObjectAttribute.Fill] = recorded.ClassifierFill,
            };
            var measured = DiffusionEvaluator.Evaluate(model, classifier, Shipped.EvalImages);
            Assert.Equal(recorded.ColourAccuracy, measured.ColourAccuracy, 0.02);
            Assert.Equal(recorded.ShapeAccuracy, measured.ShapeAccuracy, 0.02);
            Assert.Equal(recorded.PositionAccuracy, measured.PositionAccuracy, 0.02);
            Assert.Equal(recorded.SizeAccuracy, measured.SizeAccuracy, 0.02);
            Assert.Equal(recorded.HeldOutLoss, measured.HeldOutLoss, 1e-3);
            var clipDir = Directory.CreateTempSubdirectory("mminterp-shipped-clip-").FullName;
            try
            {
                ShippedClip.TryRestore(ShippedClip.Config!, clipDir);
                Assert.Equal(Sha(clipDir, ClipCheckpoint.WeightsFile), Sha(Path.Combine(dir, UNetZooCheckpoint.TextEncoderFolder), ClipCheckpoint.WeightsFile));
            }
            finally { Directory.Delete(clipDir, recursive: true); }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The recipe, trained again from scratch on the shipped CLIP, gives the shipped U-Net to the bit (one
    /// libtorch thread, oneDNN off, seeded initialisation, counter-based scenes). The longest test of the suite
    /// (about 40 CPU minutes).</summary>
    [Fact]
    public void TheRecipeRebuildsTheShippedUNetBitForBit()
    {
        var shipped = Directory.CreateTempSubdirectory("mminterp-shipped-unet-").FullName;
        try
        {
            ShippedUNet.TryRestore(Shipped, shipped);
            using var restored = UNetZooCheckpoint.Load(shipped);
            var (rebuilt, _, _, _) = new UNetZooTrainer(Shipped).Train(restored.Text);
            using (rebuilt)
                foreach (var ((name, a), (_, b)) in rebuilt.named_parameters().Zip(restored.UNet.named_parameters()))
                    Assert.True(a.eq(b).all().item<bool>(), $"{name} differs from the shipped U-Net's");
        }
        finally { Directory.Delete(shipped, recursive: true); }
    }

    static string Sha(string dir, string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, file))));
}
