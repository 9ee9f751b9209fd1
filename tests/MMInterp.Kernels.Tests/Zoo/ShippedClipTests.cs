using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Zoo;

/// <summary>The default zoo CLIP ships with the code (<see cref="ShippedClip"/>): it is the default recipe's, it holds the
/// figures it was shipped with, and the recipe still rebuilds it bit for bit.</summary>
public class ShippedClipTests
{
    static ClipZooConfig Shipped => ShippedClip.Config ?? throw new InvalidOperationException("no zoo CLIP is shipped");

    [Fact]
    public void TheDefaultRecipeIsTheShippedOne() => Assert.Equal(ClipZooConfig.Default, Shipped);

    [Fact]
    public void AnotherConfigIsTrainedNotRestored()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-shipped-").FullName;
        try
        {
            Assert.Null(ShippedClip.TryRestore(Shipped with { Seed = Shipped.Seed + 1 }, dir));
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Its recorded held-out figures are what it measures, and they meet issue 18's bars: the model reads
    /// (an attack costs at least 0.30 of zero-shot accuracy, and at least 0.20 of that is the lie, not the ink).</summary>
    [Fact]
    public void TheShippedCheckpointMatchesItsManifestAndMeasuresWhatItRecords()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-shipped-").FullName;
        try
        {
            // TryRestore checks every file against the manifest's SHA-256 (and throws on a mismatch).
            var restored = ShippedClip.TryRestore(Shipped, dir)!;
            var loaded = ClipCheckpoint.Load(dir);
            using var model = loaded.Model;
            var measured = ClipEvaluator.Evaluate(model, loaded.Tokenizer!, Shipped.EvalSeed, Shipped.EvalImages, Shipped.ImageSize);
            var recorded = restored.Metrics;
            Assert.Equal(recorded.ZeroShotColour, measured.ZeroShotColour, 6);
            Assert.Equal(recorded.ZeroShotShape, measured.ZeroShotShape, 6);
            Assert.Equal(recorded.Attack!.Attacked, measured.Attack!.Attacked, 6);
            Assert.Equal(recorded.Attack.TrueWord, measured.Attack.TrueWord, 6);
            Assert.True(measured.Attack.AttackDrop >= 0.30, $"attack drop {measured.Attack.AttackDrop:F3} < 0.30");
            Assert.True(measured.Attack.ReadingPart >= 0.20, $"reading part {measured.Attack.ReadingPart:F3} < 0.20");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>The recipe, trained again from scratch, gives the shipped weights to the bit (the build is deterministic:
    /// one libtorch thread, seeded initialisation, counter-based scenes). The longest test of the suite (minutes).</summary>
    [Fact]
    public void TheRecipeRebuildsTheShippedCheckpointBitForBit()
    {
        var shipped = Directory.CreateTempSubdirectory("mminterp-shipped-").FullName;
        var rebuilt = Directory.CreateTempSubdirectory("mminterp-rebuilt-").FullName;
        try
        {
            ShippedClip.TryRestore(Shipped, shipped);
            new ClipZooTrainer(Shipped).Build(rebuilt);
            Assert.Equal(Sha(shipped, ClipCheckpoint.WeightsFile), Sha(rebuilt, ClipCheckpoint.WeightsFile));
        }
        finally
        {
            Directory.Delete(shipped, recursive: true);
            Directory.Delete(rebuilt, recursive: true);
        }
    }

    static string Sha(string dir, string file) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, file))));
}
