using MMInterp.Grains.Contracts.Experiments;

namespace MMInterp.Grains.Registry;

[GenerateSerializer]
public enum ModelFamily { Clip, Vlm, Diffusion, Other }

[GenerateSerializer]
public enum RunKind { SaeTraining, ModelTraining, Extraction, Sweep, Analysis }

[GenerateSerializer]
public enum RunStatus { Pending, Running, Succeeded, Failed, Cancelled }

[GenerateSerializer]
public enum SaeArchitecture { Relu, TopK, BatchTopK, JumpRelu }

/// <summary>Admin includes write, write includes read.</summary>
[GenerateSerializer]
public enum TokenScope { Read, Write, Admin }

/// <summary>
/// The spellings the database uses (and its CHECK constraints allow). One table per enum, both directions,
/// so a renamed member cannot silently write a value the schema rejects.
/// </summary>
public static class RegistryNames
{
    static readonly Dictionary<ModelFamily, string> Families = new()
    {
        [ModelFamily.Clip] = "clip", [ModelFamily.Vlm] = "vlm", [ModelFamily.Diffusion] = "diffusion", [ModelFamily.Other] = "other",
    };
    static readonly Dictionary<RunKind, string> Kinds = new()
    {
        [RunKind.SaeTraining] = "sae_training", [RunKind.ModelTraining] = "model_training", [RunKind.Extraction] = "extraction",
        [RunKind.Sweep] = "sweep", [RunKind.Analysis] = "analysis",
    };
    static readonly Dictionary<RunStatus, string> Statuses = new()
    {
        [RunStatus.Pending] = "pending", [RunStatus.Running] = "running", [RunStatus.Succeeded] = "succeeded",
        [RunStatus.Failed] = "failed", [RunStatus.Cancelled] = "cancelled",
    };
    static readonly Dictionary<SaeArchitecture, string> Architectures = new()
    {
        [SaeArchitecture.Relu] = "relu", [SaeArchitecture.TopK] = "topk", [SaeArchitecture.BatchTopK] = "batchtopk", [SaeArchitecture.JumpRelu] = "jumprelu",
    };
    static readonly Dictionary<LabelMethod, string> Methods = new()
    {
        [LabelMethod.FreeLabel] = "free-label", [LabelMethod.Steering] = "steering", [LabelMethod.GroundTruth] = "ground-truth",
        [LabelMethod.Manual] = "manual", [LabelMethod.AutoInterp] = "auto-interp",
    };
    static readonly Dictionary<TokenScope, string> Scopes = new()
    {
        [TokenScope.Read] = "read", [TokenScope.Write] = "write", [TokenScope.Admin] = "admin",
    };

    public static string Name(ModelFamily v) => Families[v];
    public static string Name(RunKind v) => Kinds[v];
    public static string Name(RunStatus v) => Statuses[v];
    public static string Name(SaeArchitecture v) => Architectures[v];
    public static string Name(LabelMethod v) => Methods[v];
    public static string Name(TokenScope v) => Scopes[v];

    public static ModelFamily ParseFamily(string s) => Parse(Families, s, "model family");
    public static RunKind ParseRunKind(string s) => Parse(Kinds, s, "run kind");
    public static RunStatus ParseRunStatus(string s) => Parse(Statuses, s, "run status");
    public static SaeArchitecture ParseArchitecture(string s) => Parse(Architectures, s, "SAE architecture");
    public static LabelMethod ParseLabelMethod(string s) => Parse(Methods, s, "label method");
    public static TokenScope ParseScope(string s) => Parse(Scopes, s, "token scope");

    public static bool IsTerminal(RunStatus s) => s is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled;

    static T Parse<T>(Dictionary<T, string> table, string s, string what) where T : struct, Enum
    {
        foreach (var (k, v) in table)
            if (string.Equals(v, s, StringComparison.OrdinalIgnoreCase)) return k;
        throw new ArgumentException($"unknown {what} '{s}' (expected one of: {string.Join(", ", table.Values)})");
    }
}
