using System.Text.Json.Nodes;
using MMInterp.Client.Web.Pages;
using Xunit;

namespace MMInterp.Client.Tests.Web;

/// <summary>The experiment page's table of figures beside their controls, for studies that record which controls go
/// with which figure (the CLIP study on a dataset).</summary>
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
        var html = ExperimentPage.ControlsTable(results);
        Assert.Contains("<td>steerable_share</td><td>0.25</td><td>steerable_share_random 0.05</td><td>clamped &lt;vs&gt; random</td>", html);
        Assert.Contains("<td>concept_recovery</td><td>-</td><td>concept_recovery_random_sae -</td>", html); // unmeasured: a dash
    }

    [Fact]
    public void ResultsWithoutAControlsListGiveNoTable()
    {
        Assert.Equal("", ExperimentPage.ControlsTable((JsonObject)JsonNode.Parse("""{"figures": {"a": 1}, "controls": {"random_share": 0.02}}""")!));
        Assert.Equal("", ExperimentPage.ControlsTable([]));
    }
}
