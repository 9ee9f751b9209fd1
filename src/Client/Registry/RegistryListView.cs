using System.Globalization;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Registry;

/// <summary>`registry list KIND`: newest rows first, as a table or as JSON.</summary>
public static class RegistryListView
{
    public static async Task RenderAsync(RegistryStore store, RegistryKind kind, int limit, bool json, IAnsiConsole console, CancellationToken ct)
    {
        switch (kind)
        {
            case RegistryKind.Models:
                Emit(await store.Models.ListAsync(limit: limit, ct: ct), json, console, ["id", "name", "family", "checkpoint", "created"],
                    m => [m.Id, m.Name, RegistryNames.Name(m.Family), Short(m.CheckpointSha256), When(m.CreatedAt)]);
                break;
            case RegistryKind.Activations:
                Emit(await store.ActivationSets.ListAsync(limit: limit, ct: ct), json, console, ["id", "model", "hook points", "shards", "rows", "created"],
                    a => [a.Id, a.ModelId, string.Join(", ", a.HookPoints), Num(a.ShardCount), Num(a.RowCount), When(a.CreatedAt)]);
                break;
            case RegistryKind.Dictionaries:
                Emit(await store.Dictionaries.ListAsync(limit: limit, ct: ct), json, console, ["id", "model", "hook point", "architecture", "d_in x d_sae", "created"],
                    d => [d.Id, d.ModelId, d.HookPoint, RegistryNames.Name(d.Architecture), $"{d.DIn} x {d.DSae}", When(d.CreatedAt)]);
                break;
            case RegistryKind.Runs:
                Emit(await store.Runs.ListAsync(limit: limit, ct: ct), json, console, ["id", "kind", "status", "step", "progress", "created", "error"],
                    r => [r.Id, RegistryNames.Name(r.Kind), RegistryNames.Name(r.Status), Num(r.Step), r.Progress.ToString("P0", CultureInfo.InvariantCulture), When(r.CreatedAt), Error(r.Error)]);
                break;
            case RegistryKind.Experiments:
                Emit(await store.Experiments.ListAsync(limit: limit, ct: ct), json, console, ["id", "name", "kind", "status", "created", "error"],
                    e => [e.Id, e.Name, e.Kind, RegistryNames.Name(e.Status), When(e.CreatedAt), Error(e.Error)]);
                break;
            case RegistryKind.Artefacts:
                Emit(await store.Artefacts.ListAsync(limit: limit, ct: ct), json, console, ["sha256", "kind", "size", "created"],
                    a => [a.Sha256, a.Kind, Num(a.Size), When(a.CreatedAt)]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    static void Emit<T>(List<T> rows, bool json, IAnsiConsole console, string[] headers, Func<T, string[]> cells)
    {
        if (json)
        {
            console.Profile.Out.Writer.WriteLine(RecordJson.FormatList(rows));
            return;
        }
        if (rows.Count == 0)
        {
            console.WriteLine("(none)");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in headers) table.AddColumn(new TableColumn(Markup.Escape(h)));
        // Text renderables, not markup strings: registry values may contain '[' and must print as they are.
        foreach (var row in rows) table.AddRow(cells(row).Select(c => new Text(c)).ToArray());
        console.Write(table);
    }

    /// <summary>A failure's reason on one line, shortened for a table cell (`registry show` has it whole).</summary>
    internal static string Error(string? error)
    {
        if (string.IsNullOrEmpty(error)) return "";
        var line = string.Join(' ', error.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 80 ? line : line[..77] + "...";
    }

    internal static string Short(string? sha) => sha is null ? "-" : sha[..12];
    internal static string When(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "Z";
    internal static string Num(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
