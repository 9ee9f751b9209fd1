using MMInterp.Silo.Work;

namespace MMInterp.Client.Cli;

/// <summary>
/// Where a command writes when no --out names a place: under $MMINTERP_HOME/out (default ~/.mminterp/out), never
/// the working directory, so a run from a checkout leaves nothing untracked in it.
/// </summary>
public static class OutputPaths
{
    public static string Root => Path.Combine(WorkOptions.HomeFromEnvironment(), "out");

    /// <summary>The default path of one command's output (a directory or a file name).</summary>
    public static string Under(string name) => Path.Combine(Root, name);

    /// <summary>How help texts name the default.</summary>
    public static string Shown(string name) => $"$MMINTERP_HOME/out/{name}";
}
