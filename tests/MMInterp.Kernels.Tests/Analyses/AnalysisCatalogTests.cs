using System.Text.Json.Nodes;
using MMInterp.Kernels.Analyses;
using Xunit;

namespace MMInterp.Kernels.Tests.Analyses;

/// <summary>The catalogue is the one place analyses are named: kinds, option names (from the options records) and
/// figure names (with their older spellings) must be well-formed and unambiguous, and options JSON must read back.</summary>
public class AnalysisCatalogTests
{
    [Fact]
    public void KindsAreDistinctLowercaseWordsAndEveryAnalysisIsFoundByItsKind()
    {
        Assert.Equal(AnalysisCatalog.Kinds.Count, AnalysisCatalog.Kinds.Distinct().Count());
        foreach (var kind in AnalysisCatalog.Kinds)
        {
            Assert.Matches("^[a-z][a-z0-9-]*$", kind);
            Assert.Equal(kind, AnalysisCatalog.Get(kind).Kind);
        }
        // Every experiment kind recorded before the catalogue still runs.
        foreach (var kind in new[] { "clip-study", "clip-study-data", "vlm-study", "vlm-steer", "diffusion-study", "diffusion-steer" })
            Assert.Contains(kind, AnalysisCatalog.Kinds);
        var e = Assert.Throws<ArgumentException>(() => AnalysisCatalog.Get("no-such-kind"));
        Assert.Contains("vlm-study", e.Message);
    }

    [Fact]
    public void OptionNamesAreSnakeCaseAndNoAliasShadowsAnotherOption()
    {
        foreach (var analysis in AnalysisCatalog.All)
        {
            var names = analysis.OptionSet.Options.Select(o => o.Name).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
            foreach (var o in analysis.OptionSet.Options)
            {
                Assert.Matches("^[a-z][a-z0-9_]*$", o.Name);
                Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{analysis.Kind}: option {o.Name} has no description");
                foreach (var alias in o.Aliases) Assert.DoesNotContain(alias, names);
            }
        }
    }

    [Fact]
    public void FigureNamesAndTheirOldSpellingsAreUnambiguous()
    {
        var figures = AnalysisCatalog.All.SelectMany(a => a.Figures).ToList();
        var aliases = figures.SelectMany(f => f.Aliases).ToList();
        Assert.Equal(aliases.Count, aliases.Distinct().Count());
        Assert.Empty(aliases.Intersect(figures.Select(f => f.Name)));
        // The CLI printed this control under another name than the experiment recorded: one name now, the old one resolves.
        Assert.Equal("diffusion_steering_unsteered", AnalysisCatalog.FigureName("diffusion_steering_unsteered_control"));
        Assert.Equal("vlm_clean_accuracy", AnalysisCatalog.FigureName("clean_accuracy"));
        Assert.Equal("tracing_object_share", AnalysisCatalog.FigureName("tracing_object_share"));
    }

    [Fact]
    public void OptionsReadOverDefaultsAcceptOldSpellingsAndNameWhatIsWrong()
    {
        var set = AnalysisCatalog.Get<VlmSteerAnalysis>().OptionSet;
        var read = set.Read<VlmSteerOptions>("""{"images": 5, "clamp": 2.5, "attribute": "shape"}""");
        Assert.Equal(new VlmSteerOptions() with { ImagesPerConcept = 5, ClampMultiple = 2.5, Attribute = "shape" }, read);
        Assert.Equal(new VlmSteerOptions(), set.Read<VlmSteerOptions>("{}"));

        var unknown = Assert.Throws<ArgumentException>(() => set.Read<VlmSteerOptions>("""{"imags": 5}"""));
        Assert.Contains("'imags'", unknown.Message);
        Assert.Contains("images_per_concept", unknown.Message);
        var wrongType = Assert.Throws<ArgumentException>(() => set.Read<VlmSteerOptions>("""{"images_per_concept": "many"}"""));
        Assert.Contains("images_per_concept", wrongType.Message);
        var twice = Assert.Throws<ArgumentException>(() => set.Read<VlmSteerOptions>("""{"images": 5, "images_per_concept": 6}"""));
        Assert.Contains("twice", twice.Message);
    }

    [Fact]
    public void EveryOptionsRecordWritesJsonThatReadsBackToItself()
    {
        AssertRoundTrip(new VlmStudyOptions { Prompts = 3, OnlyCorrect = false, Parts = [VlmStudyOptions.Knockout] });
        AssertRoundTrip(new DiffusionStudyOptions { Seeds = 2, Timesteps = [0.9, 0.1], Parts = [DiffusionStudyOptions.Lens] });
        AssertRoundTrip(new DiffusionSteerOptions { Dictionaries = ["a", "b"], Pictured = 1 });
        AssertRoundTrip(new DiffusionSaeOptions { SaeKind = "relu", Timesteps = [0.5] });
        AssertRoundTrip(new ProbeOptions { Attribute = "colour,shape" });
        AssertRoundTrip(new ClipStudyOptions { Images = 48 });

        // The names written are the record's, which are what the silo's analyses read.
        var json = JsonNode.Parse(VlmStudyAnalysis.OptionsJson(new VlmStudyOptions()))!.AsObject();
        Assert.Equal(AnalysisCatalog.Get<VlmStudyAnalysis>().OptionSet.Options.Select(o => o.Name).Order(), json.Select(kv => kv.Key).Order());
    }

    static void AssertRoundTrip<T>(T options) where T : new()
    {
        var analysis = AnalysisCatalog.All.Single(a => a.OptionSet.OptionsType == typeof(T));
        var back = analysis.OptionSet.Read<T>(AnalysisOptionSet.Write(options));
        Assert.Equal(AnalysisOptionSet.Write(options), AnalysisOptionSet.Write(back));
    }
}
