using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Diffusion;
using Xunit;

namespace MMInterp.Kernels.Tests.Diffusion;

/// <summary>Timestep keys name activation sets and their dictionaries' lineage: existing names keep their meaning (null
/// caption), the conditioning part round-trips, and a bad key says what is wrong with it.</summary>
public class TimestepKeyTests
{
    [Fact]
    public void KeysWithoutAConditioningKeepTheirNameAndMeanTheNullCaption()
    {
        Assert.Equal(new TimestepKey(H, 0.9, CaptionConditioning.Null), TimestepKey.Parse($"{H}@t=0.900"));
        Assert.Equal($"{H}@t=0.900", new TimestepKey(H, 0.9).Name);
        Assert.Equal($"{H}@t=0.500", TimestepKey.Parse($"{H}@t=0.5").Name);
        Assert.Equal(Path.Combine(H, "t0.500"), new TimestepKey(H, 0.5).RelativeDirectory);
    }

    [Theory]
    [InlineData(CaptionConditioning.Null, "")]
    [InlineData(CaptionConditioning.Caption, "@c=caption")]
    [InlineData(CaptionConditioning.Half, "@c=half")]
    public void EveryConditioningRoundTripsThroughItsName(CaptionConditioning conditioning, string suffix)
    {
        foreach (var t in new[] { 0.0, 0.1, 0.9, 1.0 })
        {
            var key = new TimestepKey(H, t, conditioning);
            Assert.EndsWith($"{suffix}", key.Name);
            Assert.Equal(key, TimestepKey.Parse(key.Name));
        }
        Assert.Equal(3, Enum.GetValues<CaptionConditioning>().Select(c => new TimestepKey(H, 0.5, c).RelativeDirectory).Distinct().Count());
    }

    [Theory]
    [InlineData(H, "is not a timestep key")]
    [InlineData("@t=0.500", "is not a timestep key")]
    [InlineData(H + "@t=abc", "'abc' is not a number")]
    [InlineData(H + "@t=0.500@c=captions", "'captions' is not a caption conditioning; write @c=caption")]
    [InlineData(H + "@t=0.500@c=", "'' is not a caption conditioning")]
    [InlineData(H + "@t=0.500@c=null", "drop '@c=null'")]
    [InlineData(H + "@c=caption@t=0.500", "the noise level comes right after the hook")]
    public void ABadKeyIsRefusedWithItsProblemNamed(string name, string problem)
    {
        var e = Assert.Throws<FormatException>(() => TimestepKey.Parse(name));
        Assert.Contains(problem, e.Message);
        Assert.Contains($"'{name}'", e.Message);
    }

    [Fact]
    public void TheAdvertisedTemplateOffersExactlyTheWordsThatParse()
    {
        Assert.Equal($"{H}@t=T[@c=caption|half]", TimestepKey.Template(H));
        foreach (var word in CaptionConditionings.KeyWords)
            Assert.Equal(word, CaptionConditionings.Word(TimestepKey.Parse($"{H}@t=0.500@c={word}").Conditioning));
        Assert.Equal(Enum.GetValues<CaptionConditioning>().Length - 1, CaptionConditionings.KeyWords.Count); // all but the default
    }

    [Fact]
    public void HalfCaptionsEvenImagesOfTheSplit()
    {
        Assert.Equal([true, false, true, false], new long[] { 0, 1, 2, 3 }.Select(i => CaptionConditioning.Half.IsCaptioned(i)));
        Assert.All(new long[] { 0, 1, 7 }, i => Assert.True(CaptionConditioning.Caption.IsCaptioned(i)));
        Assert.All(new long[] { 0, 1, 7 }, i => Assert.False(CaptionConditioning.Null.IsCaptioned(i)));
    }

    [Fact]
    public void AManifestWrittenBeforeConditioningCouldBeChosenReadsAsTheNullCaption()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mminterp-tsx-old-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, TimestepActivations.ManifestFile),
                $$"""[{"Hook": "{{H}}", "T": 0.5, "Directory": "{{H}}/t0.500", "Rows": 64, "D": 32}]""");
            var set = Assert.Single(TimestepActivations.ReadManifest(dir));
            Assert.Equal(new TimestepKey(H, 0.5), set.Key);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    const string H = "denoiser.blocks.3.hook_resid_post";
}
