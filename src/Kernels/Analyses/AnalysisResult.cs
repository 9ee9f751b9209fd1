using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Analyses;

/// <summary>One feature's record: its statistics object (the web UI's contract) and its pictures by name.</summary>
public sealed record FeatureRecord(int Index, JsonObject Stats, IReadOnlyDictionary<string, byte[]> Pictures);

/// <summary>A label for a feature; <paramref name="Method"/> is "free-label", "steering" or "ground-truth".</summary>
public sealed record FeatureLabel(int Feature, string Label, double Score, string Method)
{
    public const string FreeLabel = "free-label", Steering = "steering", GroundTruth = "ground-truth";
}

/// <summary>A figure's controls as recorded beside it (the results' <c>controls</c> list).</summary>
public sealed record FigureControls(string Figure, IReadOnlyList<string> Controls, string Meaning);

/// <summary>
/// What an analysis produced: figures (null when not measurable), which controls go with which figure, pictures as PNG
/// bytes, further tables and notes (<see cref="Details"/>), per-feature records and labels where the analysis has them,
/// and files it made (a trained SAE, a directory of them) to keep as artefacts.
/// </summary>
public sealed class AnalysisResult
{
    public JsonObject Figures { get; } = [];
    public List<FigureControls> Controls { get; } = [];
    public Dictionary<string, byte[]> Pictures { get; } = [];
    public JsonObject Details { get; } = [];
    public List<FeatureRecord> Features { get; } = [];
    public List<FeatureLabel> Labels { get; } = [];
    /// <summary>Name -> a file or directory under the work directory, stored as an artefact (results' <c>files</c>).</summary>
    public Dictionary<string, string> Files { get; } = [];

    public AnalysisResult Figure(string name, double value)
    {
        Figures[name] = ResultJson.Number(value);
        return this;
    }

    /// <summary>Adds the PNG at <paramref name="path"/> (named by its file name without extension unless given).</summary>
    public AnalysisResult Picture(string path, string? name = null)
    {
        Pictures[name ?? Path.GetFileNameWithoutExtension(path)] = File.ReadAllBytes(path);
        return this;
    }

    public AnalysisResult AddPictures(IEnumerable<string> paths)
    {
        foreach (var p in paths) Picture(p);
        return this;
    }

    /// <summary>Records the controls of every declared figure that was measured.</summary>
    public AnalysisResult ControlsOf(IEnumerable<FigureSpec> figures)
    {
        foreach (var f in figures.Where(f => f.Controls.Count > 0 && Figures.ContainsKey(f.Name)))
            Controls.Add(new FigureControls(f.Name, f.Controls, f.Meaning));
        return this;
    }
}
