using System.CommandLine;
using MMInterp.Client.Commands;
using MMInterp.Client.Platform;
using MMInterp.Kernels.Analyses;
using Xunit;

namespace MMInterp.Client.Tests.Studies;

/// <summary>
/// The CLI's study commands spell no option of their own: every flag is an option of the analysis they submit (its
/// name in kebab case or an older spelling), or one of the few a command owns (model, output, database, local paths it
/// stores first). A flag added on one side only, or renamed on one side, fails here.
/// </summary>
public class StudyCommandNamesTests
{
    /// <summary>Flags a study command owns: what to run on, where results go, and local files it stores for the silo.</summary>
    static readonly string[] Own = ["--model", "--out", "--db", "--threads", "--sae", "--activations", "--blocks-only", "--steer-sae", "--steer-saes", "--help", "-h", "-?"];

    public static TheoryData<string, string> Commands() => new()
    {
        { "vlm trace", VlmStudyAnalysis.Kind }, { "vlm knockout", VlmStudyAnalysis.Kind }, { "vlm logit-lens", VlmStudyAnalysis.Kind },
        { "vlm steer", VlmSteerAnalysis.Kind }, { "diffusion temporal", DiffusionStudyAnalysis.Kind }, { "diffusion lens", DiffusionStudyAnalysis.Kind },
        { "diffusion heads", DiffusionStudyAnalysis.Kind }, { "diffusion sae", DiffusionSaeAnalysis.Kind }, { "diffusion steer", DiffusionSteerAnalysis.Kind },
        { "probe", ProbeAnalysis.Kind }, { "analyze vlm", VlmStudyAnalysis.Kind }, { "analyze diffusion", DiffusionStudyAnalysis.Kind },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryFlagOfAStudyCommandIsAnOptionOfItsAnalysis(string path, string kind)
    {
        var command = Find(path);
        IAnalysis[] analyses = path == "analyze diffusion" ? [AnalysisCatalog.Get(kind), AnalysisCatalog.Get(DiffusionSteerAnalysis.Kind)]
            : path == "analyze vlm" ? [AnalysisCatalog.Get(kind), AnalysisCatalog.Get(VlmSteerAnalysis.Kind)] : [AnalysisCatalog.Get(kind)];
        var known = analyses.SelectMany(a => a.OptionSet.Options).SelectMany(o => o.Aliases.Select(a => "--" + a.Replace('_', '-')).Append(o.Flag)).ToHashSet();
        foreach (var option in command.Options)
        {
            if (Own.Contains(option.Name)) continue;
            Assert.True(known.Contains(option.Name), $"`{path}` has flag {option.Name}, which is not an option of {kind}");
        }
    }

    [Fact]
    public void OldFlagsStillParseToTheOptionsTheAnalysisReads()
    {
        var steer = Find("vlm steer");
        var parse = steer.Parse(["--model", "m", "--images", "5", "--clamp", "2.5", "--train-sae"]);
        Assert.Empty(parse.Errors);
        var lens = Find("diffusion lens").Parse(["--model", "m", "--prompts", "7"]);
        Assert.Empty(lens.Errors);
        var heads = Find("diffusion heads").Parse(["--model", "m", "--images", "9", "--blocks-only"]);
        Assert.Empty(heads.Errors);
        var sae = Find("diffusion sae").Parse(["--model", "m", "--kind", "relu", "--timesteps", "0.9,0.1"]);
        Assert.Empty(sae.Errors);
        var analyze = Find("analyze diffusion").Parse(["--model", "m", "--prompts", "4", "--ablation-images", "8"]);
        Assert.Empty(analyze.Errors);

        // What StudyOptions reads from such a command line is what the analysis reads, under the record's names.
        var command = new Command("x");
        var bound = StudyOptions.Add(command, AnalysisCatalog.Get<VlmSteerAnalysis>().OptionSet);
        var json = bound.Read(command.Parse(["--images", "5", "--clamp", "2.5", "--train-sae"]));
        Assert.Equal(new VlmSteerOptions { ImagesPerConcept = 5, ClampMultiple = 2.5, TrainSae = true },
            AnalysisCatalog.Get<VlmSteerAnalysis>().OptionSet.Read<VlmSteerOptions>(json.ToJsonString()));
        var bad = Assert.Throws<ArgumentException>(() => bound.Read(command.Parse(["--images", "many"])));
        Assert.Contains("--images-per-concept", bad.Message);
    }

    /// <summary>A flag left off the command line leaves the analysis's default: `diffusion heads` ablates heads unless
    /// told not to (an implicit false once switched head ablations and roles off on every run).</summary>
    [Fact]
    public void AFlagNotGivenKeepsTheAnalysissDefault()
    {
        var set = AnalysisCatalog.Get<DiffusionStudyAnalysis>().OptionSet;
        Assert.True(new DiffusionStudyOptions().Heads);
        var command = new Command("x");
        var bound = StudyOptions.Add(command, set, only: ["heads", "ablation_images"]);
        Assert.True(set.Read<DiffusionStudyOptions>(bound.Read(command.Parse(["--ablation-images", "8"])).ToJsonString()).Heads);
        Assert.False(set.Read<DiffusionStudyOptions>(bound.Read(command.Parse(["--heads", "false"])).ToJsonString()).Heads);
        Assert.True(set.Read<DiffusionStudyOptions>(bound.Read(command.Parse(["--heads"])).ToJsonString()).Heads);
        var defaulted = new Command("y");
        var withDefault = StudyOptions.Add(defaulted, set, only: ["heads"], defaults: new Dictionary<string, string> { ["heads"] = "false" });
        Assert.False(set.Read<DiffusionStudyOptions>(withDefault.Read(defaulted.Parse([])).ToJsonString()).Heads);
    }

    static Command Find(string path)
    {
        var parts = path.Split(' ');
        var command = CommandCatalog.All().Single(c => c.Name == parts[0]);
        foreach (var part in parts.Skip(1)) command = command.Subcommands.Single(c => c.Name == part);
        return command;
    }
}
