using System.Text.Json.Nodes;
using MMInterp.Client.Reports;
using MMInterp.Client.Web.Pages;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>The experiment page's figure groups (each headline beside its controls), for studies that record which
/// controls go with which figure and for kinds the catalogue groups itself.</summary>
public class ExperimentControlsTableTests
{
    [Fact]
    public void EachFigureIsShownBesideItsControlsEscaped()
    {
        var results = (JsonObject)JsonNode.Parse("""
            {"figures": {"steerable_share": 0.25, "steerable_share_random": 0.05, "concept_recovery": null},
             "controls": [{"figure": "steerable_share", "controls": ["steerable_share_random"], "meaning": "clamped <vs> random"},
                          {"figure": "concept_recovery", "controls": ["concept_recovery_random_sae"], "meaning": "labels"}]}
            """)!;
        var html = ExperimentFigures.Html(FigureLayout.Of("steering", results), new Dictionary<string, string>(), new HashSet<string>());
        Assert.Contains("<td><b>steerable_share</b></td><td><b>0.25</b></td><td>headline</td></tr>\n<tr><td>&nbsp;&nbsp;steerable_share_random</td><td>0.05</td><td>control</td>", html);
        Assert.Contains("clamped &lt;vs&gt; random", html);
        Assert.Contains("<td><b>concept_recovery</b></td><td><b>-</b></td>", html); // unmeasured: a dash
        Assert.Contains("<td>&nbsp;&nbsp;concept_recovery_random_sae</td><td>-</td>", html);
    }

    [Fact]
    public void ResultsWithoutAControlsListGiveOnlyAllFigures()
    {
        var html = ExperimentFigures.Html(FigureLayout.Of("steering", (JsonObject)JsonNode.Parse("""{"figures": {"a": 1}, "controls": {"random_share": 0.02}}""")!),
            new Dictionary<string, string>(), new HashSet<string>());
        Assert.DoesNotContain("figure-groups", html);
        Assert.Contains("<td>a</td><td>1</td>", html);
    }
}
