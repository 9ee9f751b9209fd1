using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Registry;

/// <summary>`registry list KIND`: newest rows first, as a table or as JSON, with their tags and descriptions;
/// archived rows only when asked for.</summary>
public static class RegistryListView
{
    public static async Task RenderAsync(RegistryStore store, RegistryKind kind, int limit, bool json, IAnsiConsole console, CancellationToken ct,
        bool archived = false, RegistryListFilter? filter = null)
    {
        filter ??= new RegistryListFilter();
        if (!filter.IsEmpty && kind is not (RegistryKind.Runs or RegistryKind.Experiments))
            throw new ArgumentException("--type, --status, --model, --since, --until and --search filter runs and experiments only");
        var word = RegistryKinds.Word(kind);
        // Archived rows are dropped after the query, so ask for that many more to still fill the page.
        HashSet<string> hidden = archived ? [] : await store.Annotations.ArchivedAsync(word, ct);
        var fetch = (int)Math.Min(10_000L, (long)limit + hidden.Count);
        var list = new Listing(store, word, limit, hidden, json, console);
        switch (kind)
        {
            case RegistryKind.Models:
                await list.EmitAsync(await store.Models.ListAsync(limit: fetch, ct: ct), m => m.Id, ["id", "name", "family", "checkpoint", "created"],
                    m => [m.Id, m.Name, RegistryNames.Name(m.Family), Short(m.CheckpointSha256), When(m.CreatedAt)], ct);
                break;
            case RegistryKind.Activations:
                await list.EmitAsync(await store.ActivationSets.ListAsync(limit: fetch, ct: ct), a => a.Id, ["id", "model", "hook points", "shards", "rows", "created"],
                    a => [a.Id, a.ModelId, string.Join(", ", a.HookPoints), Num(a.ShardCount), Num(a.RowCount), When(a.CreatedAt)], ct);
                break;
            case RegistryKind.Dictionaries:
                await list.EmitAsync(await store.Dictionaries.ListAsync(limit: fetch, ct: ct), d => d.Id, ["id", "model", "hook point", "architecture", "d_in x d_sae", "created"],
                    d => [d.Id, d.ModelId, d.HookPoint, RegistryNames.Name(d.Architecture), $"{d.DIn} x {d.DSae}", When(d.CreatedAt)], ct);
                break;
            case RegistryKind.Runs:
                await list.EmitAsync(await store.Runs.SearchAsync(filter.ToRunFilter(fetch), ct), r => r.Id, ["id", "kind", "status", "step", "progress", "created", "error"],
                    r => [r.Id, RegistryNames.Name(r.Kind), RegistryNames.Name(r.Status), Num(r.Step), r.Progress.ToString("P0", CultureInfo.InvariantCulture), When(r.CreatedAt), Error(r.Error)], ct);
                break;
            case RegistryKind.Experiments:
                await list.EmitAsync(await store.Experiments.SearchAsync(filter.ToExperimentFilter(fetch), ct), e => e.Id, ["id", "name", "kind", "status", "created", "error"],
                    e => [e.Id, e.Name, e.Kind, RegistryNames.Name(e.Status), When(e.CreatedAt), Error(e.Error)], ct);
                break;
            case RegistryKind.Artefacts:
                await list.EmitAsync(await store.Artefacts.ListAsync(limit: fetch, ct: ct), a => a.Sha256, ["sha256", "kind", "size", "created"],
                    a => [a.Sha256, a.Kind, Num(a.Size), When(a.CreatedAt)], ct);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    sealed record Listing(RegistryStore Store, string Word, int Limit, HashSet<string> Hidden, bool Json, IAnsiConsole Console)
    {
        public async Task EmitAsync<T>(List<T> fetched, Func<T, string> id, string[] headers, Func<T, string[]> cells, CancellationToken ct)
        {
            var rows = fetched.Where(r => !Hidden.Contains(id(r))).Take(Limit).ToList();
            var notes = await Store.Annotations.GetManyAsync(Word, rows.Select(id).ToList(), ct);
            if (Json)
            {
                var array = new JsonArray();
                foreach (var row in rows)
                {
                    var node = (JsonObject)RecordJson.ToNode(row);
                    AddAnnotation(node, notes.GetValueOrDefault(id(row)));
                    array.Add(node);
                }
                Console.Profile.Out.Writer.WriteLine(RecordJson.Format((JsonNode)array));
                return;
            }
            if (rows.Count == 0)
            {
                Console.WriteLine("(none)");
                return;
            }
            // Tags and descriptions only when some row has them; an archived row (listed with --archived) says so.
            var tagged = notes.Values.Any(n => n.Tags.Count > 0 || n.ArchivedAt is not null);
            var described = notes.Values.Any(n => n.Description.Length > 0);
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var h in headers) table.AddColumn(new TableColumn(Markup.Escape(h)) { NoWrap = h is "id" or "sha256" });
            if (tagged) table.AddColumn("tags");
            if (described) table.AddColumn("description");
            foreach (var row in rows)
            {
                var note = notes.GetValueOrDefault(id(row));
                var extra = new List<string>();
                if (tagged) extra.Add(string.Join(", ", (note?.Tags ?? []).Concat(note?.ArchivedAt is null ? [] : ["(archived)"])));
                if (described) extra.Add(note?.Description ?? "");
                // Text renderables, not markup strings: registry values may contain '[' and must print as they are.
                table.AddRow(cells(row).Concat(extra).Select(c => new Text(c)).ToArray());
            }
            Console.Write(table);
        }
    }

    /// <summary>A row's description (unless it has its own and no note), tags and archive time, in its JSON.</summary>
    internal static void AddAnnotation(JsonObject node, RegistryAnnotation? note)
    {
        if (note is { Description.Length: > 0 } || !node.ContainsKey("description")) node["description"] = note?.Description ?? "";
        node["tags"] = new JsonArray((note?.Tags ?? []).Select(t => (JsonNode?)JsonValue.Create(t)).ToArray());
        node["archived_at"] = note?.ArchivedAt is { } at ? JsonValue.Create(at) : null;
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
