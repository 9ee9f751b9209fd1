using MMInterp.Grains.Registry;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Rendering;

/// <summary>How a run's or experiment's status and error look in lists and pages: the status word styled by what it
/// is (a failure in red), the error on one line, shortened with its full text as the tooltip.</summary>
public static class StatusCells
{
    /// <summary>The status in its colour; given an <paramref name="error"/>, it carries it as a tooltip (lists whose
    /// rows have no error column).</summary>
    public static string Status(RunStatus status, string? error = null)
    {
        var name = RegistryNames.Name(status);
        return $"<span class=\"status-{E(name)}\"{(error is { Length: > 0 } e ? $" title=\"{E(e)}\"" : "")}>{E(name)}</span>";
    }

    public static string Error(string? error, int max = 120)
    {
        if (string.IsNullOrEmpty(error)) return "";
        var line = WebText.Printable(error);
        return line.Length <= max ? $"<span class=\"error\">{E(line)}</span>" : $"<span class=\"error\" title=\"{E(line)}\">{E(line[..max])}...</span>";
    }
}
