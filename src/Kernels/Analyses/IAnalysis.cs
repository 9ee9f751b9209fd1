namespace MMInterp.Kernels.Analyses;

/// <summary>
/// One analysis, the single entry point both roads use: the silo's experiment executor runs it by <see cref="Kind"/>;
/// the CLI's study commands build its options JSON from <see cref="OptionSet"/> and submit it as an experiment. The
/// options record and <see cref="Figures"/> are the one place its option and figure names are spelled.
/// </summary>
public interface IAnalysis
{
    /// <summary>The experiment kind, e.g. <c>vlm-study</c>.</summary>
    string Kind { get; }
    string Description { get; }
    AnalysisOptionSet OptionSet { get; }
    /// <summary>The headline figures, each with the controls measured beside it in the same run.</summary>
    IReadOnlyList<FigureSpec> Figures { get; }
    /// <summary>Loads what the spec names through <paramref name="inputs"/> and runs; called on a thread-pool thread.</summary>
    Task<AnalysisResult> RunAsync(IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct);
}

/// <summary>A headline figure, its controls (figures of the same result) and what it means. <see cref="Aliases"/>:
/// names it was recorded or printed under before, still resolved by readers.</summary>
public sealed record FigureSpec(string Name, string Meaning, IReadOnlyList<string> Controls, IReadOnlyList<string>? Aliases = null)
{
    public IReadOnlyList<string> Aliases { get; init; } = Aliases ?? [];
}

/// <summary>The typed base: reads the options record once, then runs with it.</summary>
public abstract class Analysis<TOptions> : IAnalysis where TOptions : new()
{
    protected Analysis(string kind) => OptionSet = AnalysisOptionSet.For<TOptions>(kind);

    string IAnalysis.Kind => OptionSet.Kind;
    public abstract string Description { get; }
    public AnalysisOptionSet OptionSet { get; }
    public abstract IReadOnlyList<FigureSpec> Figures { get; }

    public Task<AnalysisResult> RunAsync(IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct) =>
        RunAsync(OptionSet.Read<TOptions>(inputs.OptionsJson), inputs, progress, ct);

    protected abstract Task<AnalysisResult> RunAsync(TOptions options, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct);

    /// <summary>The options JSON of <paramref name="options"/> (what a client submits).</summary>
    public static string OptionsJson(TOptions options) => AnalysisOptionSet.Write(options);

    /// <summary>A figure with controls, for <see cref="Figures"/>.</summary>
    protected static FigureSpec Figure(string name, string meaning, params string[] controls) => new(name, meaning, controls);
}
