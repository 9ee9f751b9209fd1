using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Client.Reports;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using Spectre.Console;

namespace MMInterp.Client.Registry;

/// <summary>`registry show KIND ID`: every field of one row (JSON documents inlined), plus a run's metric series.</summary>
public static class RegistryShowView
{
    public static async Task RenderAsync(RegistryStore store, RegistryKind kind, string id, bool json, IAnsiConsole console, CancellationToken ct)
    {
        JsonNode record = kind switch
        {
            RegistryKind.Models => RecordJson.ToNode(await ModelByIdOrNameAsync(store, id, ct) ?? throw Missing("model", id)),
            RegistryKind.Activations => RecordJson.ToNode(await store.ActivationSets.GetAsync(id, ct) ?? throw Missing("activation set", id)),
            RegistryKind.Dictionaries => RecordJson.ToNode(await store.Dictionaries.GetAsync(id, ct) ?? throw Missing("dictionary", id)),
            RegistryKind.Runs => RecordJson.ToNode(await store.Runs.GetAsync(id, ct) ?? throw Missing("run", id)),
            RegistryKind.Experiments => RecordJson.ToNode(await store.Experiments.GetAsync(id, ct) ?? throw Missing("experiment", id)),
            RegistryKind.Artefacts => RecordJson.ToNode(await store.Artefacts.GetAsync(id, ct) ?? throw Missing("artefact", id)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        // Description, tags and archive time (registry describe|tag|archive), by the row's own key.
        var key = record[kind == RegistryKind.Artefacts ? "sha256" : "id"]?.GetValue<string>() ?? id;
        RegistryListView.AddAnnotation(record.AsObject(), await store.Annotations.GetAsync(RegistryKinds.Word(kind), key, ct));
        var metrics = kind == RegistryKind.Runs ? await store.Metrics.SummariseAsync(id, ct) : null;
        if (kind == RegistryKind.Dictionaries)
        {
            var (features, labels) = await store.Features.CountAsync(id, ct);
            record["feature_rows"] = features;
            record["label_rows"] = labels;
        }

        // An experiment's figures grouped headline-first with their controls, as the report and the web page show them.
        var layout = kind == RegistryKind.Experiments && record is JsonObject x && x["results"] is JsonObject results
            ? FigureLayout.Of(x["kind"]?.GetValue<string>() ?? "", results)
            : null;

        if (json)
        {
            if (layout is not null) record["figure_groups"] = layout.GroupsJson();
            if (metrics is not null) record["metrics"] = JsonNode.Parse(RecordJson.FormatList(metrics));
            console.Profile.Out.Writer.WriteLine(RecordJson.Format(record));
            return;
        }

        var fields = new Table().Border(TableBorder.Rounded).AddColumn("field").AddColumn("value");
        foreach (var (name, value) in record.AsObject())
            fields.AddRow(new Text(name), new Text(value is JsonValue v ? v.ToString() : value?.ToJsonString(new() { WriteIndented = true }) ?? "-"));
        console.Write(fields);
        if (layout is not null) FigureLayoutConsole.Write(console, layout);

        if (metrics is { Count: > 0 })
        {
            var series = new Table().Border(TableBorder.Rounded).Title("metric series")
                .AddColumn("name").AddColumn("points").AddColumn("steps").AddColumn("last value");
            foreach (var m in metrics)
                series.AddRow(new Text(m.Name), new Text(RegistryListView.Num(m.Points)), new Text($"{m.FirstStep}-{m.LastStep}"),
                    new Text(m.LastValue.ToString("G6", CultureInfo.InvariantCulture)));
            console.Write(series);
        }
    }

    static async Task<ModelRecord?> ModelByIdOrNameAsync(RegistryStore store, string idOrName, CancellationToken ct) =>
        (RegistryIds.IsValid(idOrName) ? await store.Models.GetAsync(idOrName, ct) : null)
        ?? await store.Models.GetByNameAsync(idOrName, ct: ct);

    static KeyNotFoundException Missing(string what, string id) => new($"no {what} '{id}' in the registry");
}
