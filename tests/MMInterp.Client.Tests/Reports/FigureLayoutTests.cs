using System.Text.Json.Nodes;
using MMInterp.Client.Reports;
using MMInterp.Client.Web.Pages;
using MMInterp.Kernels.Analyses;
using Spectre.Console;
using Xunit;

namespace MMInterp.Client.Tests.Reports;

/// <summary>
/// The one grouping of figures every surface shows: headline first, its controls beside it, the rest under "all
/// figures". Results are written in Postgres' jsonb key order (shorter keys first), the order that put
/// concept_recovery at row 6 and its control at row 38.
/// </summary>
public class FigureLayoutTests
{
    static JsonObject ClipStudyResults() => (JsonObject)JsonNode.Parse("""
        {"figures": {"live_features": 40, "steerable_share": 0.25, "concept_recovery": 0.6, "zero_shot_colour": 0.9,
                     "concept_recovery_colour": 0.7, "free_label_accuracy": 0.5, "steerable_share_random": 0.05,
                     "typographic_attack_drop": 0.3, "concept_recovery_random_sae": 0.1, "zero_shot_colour_sae_inserted": 0.85},
         "notes": {"steering": "clamped at 8x"},
         "images": {"steering": "abc", "pareto": "def"}}
        """)!;

    [Fact]
    public void EachHeadlineComesFirstWithItsControlsBesideItAndTheRestFollowsByName()
    {
        var layout = FigureLayout.Of(ClipStudyAnalysis.Kind, ClipStudyResults());
        var first = layout.Groups[0];
        Assert.Equal(("Concept recovery", "concept_recovery", 0.6), (first.Group.Title, first.Headline.Name, first.Headline.Number));
        Assert.Equal(("concept_recovery_random_sae", 0.1), (first.Controls[0].Name, first.Controls[0].Number));
        // In the catalogue's order, only groups something of which was measured.
        Assert.Equal(["concept_recovery", "free_label_accuracy", "live_features", "steerable_share", "zero_shot_colour", "typographic_attack_drop"],
            layout.Groups.Select(g => g.Headline.Name));
        var steering = layout.Groups.Single(g => g.Headline.Name == "steerable_share");
        Assert.Equal("clamped at 8x", steering.Note);
        Assert.Equal("n/a", steering.Controls.Single(c => c.Name == "steering_tested_features").Text); // not measured
        // Grouped figures are not repeated under "all figures"; the per-group breakdown is.
        Assert.Equal(["concept_recovery_colour"], layout.Rest.Select(f => f.Name));
        Assert.Equal(["concept_recovery", "steering", "typographic"], layout.GroupPictures);
    }

    [Fact]
    public void GroupsAKindDoesNotKnowComeFromWhatTheExperimentRecorded()
    {
        var results = (JsonObject)JsonNode.Parse("""
            {"figures": {"b_other": 2, "share": 0.25, "share_random": 0.05, "a_other": 1},
             "controls": [{"figure": "share", "controls": ["share_random"], "meaning": "clamped <vs> random"}]}
            """)!;
        var layout = FigureLayout.Of("steering", results);
        var g = Assert.Single(layout.Groups);
        Assert.Equal(("Share", "share", "share_random", "clamped <vs> random"), (g.Group.Title, g.Headline.Name, g.Controls.Single().Name, g.Group.Caption));
        Assert.Equal(["a_other", "b_other"], layout.Rest.Select(f => f.Name));

        var none = FigureLayout.Of("steering", (JsonObject)JsonNode.Parse("""{"figures": {"a": 1}, "controls": {"random_share": 0.02}}""")!);
        Assert.Empty(none.Groups);
        Assert.Equal("a", Assert.Single(none.Rest).Name);
    }

    [Fact]
    public void AFigureRecordedUnderItsOldNameFillsItsGroup()
    {
        var layout = FigureLayout.Of(VlmSteerAnalysis.Kind, (JsonObject)JsonNode.Parse("""{"figures": {"clean_accuracy": 0.75, "vlm_steering_success": 0.5}}""")!);
        Assert.Equal(0.75, layout.Groups.Single(g => g.Headline.Name == "vlm_clean_accuracy").Headline.Number);
        Assert.Empty(layout.Rest);
    }

    [Fact]
    public void TheClipStudyRecordsTheControlsTheCatalogueGroups()
    {
        var recorded = AnalysisCatalog.Get<ClipStudyAnalysis>().Figures;
        Assert.Equal(FigureGroups.ClipStudy.Select(g => (g.Headline, string.Join(",", g.Controls))), recorded.Select(f => (f.Name, string.Join(",", f.Controls))));
    }

    [Fact]
    public void TheReportTheWebPageAndTheTerminalShowTheSameOrder()
    {
        var layout = FigureLayout.Of(ClipStudyAnalysis.Kind, ClipStudyResults());
        var dir = Path.GetTempPath();
        var report = ReportFigures.Add(new HtmlReport("t"), layout, new Dictionary<string, string> { ["steering"] = Path.Combine(dir, "steering.png") }, dir).Render();
        AssertOrder(report, "<code>concept_recovery</code>", "<code>concept_recovery_random_sae</code>", "<code>free_label_accuracy</code>",
            "<code>steerable_share</code>", "<code>steerable_share_random</code>", "src=\"steering.png\"", "All figures", "<code>concept_recovery_colour</code>");

        var drawn = new HashSet<string>();
        var page = ExperimentFigures.Html(layout, new Dictionary<string, string> { ["steering"] = new string('a', 64), ["pareto"] = new string('b', 64) }, drawn);
        AssertOrder(page, "<b>concept_recovery</b>", "concept_recovery_random_sae", "<b>free_label_accuracy</b>", "id=\"image-steering\"",
            "<h2>All figures</h2>", "concept_recovery_colour");
        Assert.Equal(["steering"], drawn); // pareto belongs to no group: the page shows it with the other images

        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = 200;
        FigureLayoutConsole.Write(console, layout);
        var lines = writer.ToString().Split('\n');
        var headline = Array.FindIndex(lines, l => l.Contains(" concept_recovery ") && l.Contains("headline"));
        Assert.True(headline >= 0, writer.ToString());
        Assert.Contains("concept_recovery_random_sae", lines[headline + 1]); // the control on the very next row
        AssertOrder(writer.ToString(), "concept_recovery_random_sae", "all figures", "concept_recovery_colour");
    }

    static void AssertOrder(string text, params string[] parts)
    {
        var at = -1;
        foreach (var p in parts)
        {
            var next = text.IndexOf(p, at + 1, StringComparison.Ordinal);
            Assert.True(next > at, $"'{p}' is not after the previous part in:\n{text}");
            at = next;
        }
    }
}
