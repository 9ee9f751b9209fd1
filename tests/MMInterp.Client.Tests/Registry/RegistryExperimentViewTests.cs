using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Commands;
using MMInterp.Grains.Registry;
using Spectre.Console;
using Xunit;

namespace MMInterp.Client.Tests.Registry;

/// <summary>
/// `registry list|show experiments` on a real registry: a failed experiment says so with its error, and a study's
/// figures come grouped headline-first with their controls (issue 19), not in the database's key order.
/// </summary>
public class RegistryExperimentViewTests(PopulatedRegistry registry) : IClassFixture<PopulatedRegistry>
{
    async Task<(int Code, string Out)> InvokeAsync(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        var code = await new RootCommand { RegistryCommand.Create(console) }.Parse([.. args, "--db", registry.ConnectionString]).InvokeAsync();
        return (code, writer.ToString());
    }

    [Fact]
    public async Task AFailedExperimentIsListedAsFailedWithItsErrorAndAStudyShowsItsGroups()
    {
        await using var store = RegistryStore.Create(registry.ConnectionString);
        var failed = await store.Experiments.CreateAsync(new NewExperiment("broken study", "clip-study"));
        await store.Experiments.SetStatusAsync(failed.Id, RunStatus.Running);
        await store.Experiments.SetStatusAsync(failed.Id, RunStatus.Failed, "dictionary 'd' reads hook x, not y");
        // Settled again (a retried settlement): the first ending stands.
        Assert.Equal(RunStatus.Failed, (await store.Experiments.SetStatusAsync(failed.Id, RunStatus.Succeeded)).Status);

        var study = await store.Experiments.CreateAsync(new NewExperiment("good study", "clip-study"));
        await store.Experiments.MergeResultsAsync(study.Id, """
            {"figures": {"live_features": 40, "concept_recovery": 0.6, "concept_recovery_colour": 0.7, "concept_recovery_random_sae": 0.1}}
            """);
        await store.Experiments.SetStatusAsync(study.Id, RunStatus.Succeeded);

        var (code, list) = await InvokeAsync("registry", "list", "experiments");
        Assert.Equal(0, code);
        var line = list.Split('\n').Single(l => l.Contains(failed.Id));
        Assert.Contains("failed", line);
        Assert.Contains("dictionary 'd' reads hook x, not y", line);
        Assert.Contains("succeeded", list.Split('\n').Single(l => l.Contains(study.Id)));

        (code, var shown) = await InvokeAsync("registry", "show", "experiments", study.Id);
        Assert.Equal(0, code);
        var lines = shown.Split('\n');
        var headline = Array.FindIndex(lines, l => l.Contains(" concept_recovery ") && l.Contains("headline"));
        Assert.True(headline >= 0, shown);
        Assert.Contains("concept_recovery_random_sae", lines[headline + 1]);
        Assert.True(shown.IndexOf("all figures", StringComparison.Ordinal) < shown.LastIndexOf("concept_recovery_colour", StringComparison.Ordinal), shown);

        (code, var json) = await InvokeAsync("registry", "show", "experiments", failed.Id, "--json");
        Assert.Equal(0, code);
        var node = JsonNode.Parse(json)!;
        Assert.Equal(("failed", "dictionary 'd' reads hook x, not y"), ((string?)node["status"], (string?)node["error"]));
        (code, json) = await InvokeAsync("registry", "show", "experiments", study.Id, "--json");
        var group = JsonNode.Parse(json)!["figure_groups"]![0]!;
        Assert.Equal(("concept_recovery", 0.1), ((string?)group["headline"], (double?)group["controls"]!["concept_recovery_random_sae"]));
    }
}
