using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// One activation set: its model and extraction run upstream; the dictionaries and training runs over it and the
/// experiments naming it or them downstream; then its dataset spec.
/// </summary>
public static class ActivationSetPage
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/activation-sets/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var a = await RegistryReads.ActivationSetAsync(r, id, ct);
            var dictionaries = await r.Compare.DictionariesAsync(new CompareQuery(ActivationSetId: id, Limit: 1000), ct);
            var runs = (await r.Compare.RunsAsync(new CompareQuery(ActivationSetId: id, Limit: 1000), ct)).Select(x => new RegistryRef("run", x.Id))
                .Concat(await r.Lineage.RunsNamingAsync(id, ct: ct)).DistinctBy(x => x.Id).ToList();
            var experiments = await r.Lineage.ExperimentsNamingAsync([id, .. dictionaries.Select(d => d.Id), .. runs.Select(x => x.Id)], ct: ct);
            return Layout.Page($"Activation set {a.Id}", $"""
                {Table(["model", "hook points", "shards", "rows", "index", "extraction run", "created"], [[
                    RegistryLinks.Model(a.ModelId), E(string.Join(", ", a.HookPoints)), Num(a.ShardCount), Num(a.RowCount),
                    $"<code title=\"{E(a.IndexSha256)}\">{E(Short(a.IndexSha256))}</code>", RegistryLinks.Run(a.ExtractionRunId), Time(a.CreatedAt)]])}
                <h2>Dictionaries</h2>
                <div id="dictionaries">{Table(["dictionary", "hook point", "arch.", "width", "L0", "FVU", "training run"], dictionaries.Select(d => (IReadOnlyList<string>)
                    [RegistryLinks.Dictionary(d.Id), E(d.HookPoint), E(RegistryNames.Name(d.Architecture)), Num(d.DSae), Num(d.L0), Num(d.Fvu), RegistryLinks.Run(d.TrainingRunId)]))}
                <p class="muted"><a href="/dictionaries?activation_set={Seg(id)}">compare them in the dictionaries list</a></p></div>
                <h2>Runs over this set</h2>
                {RegistryLinks.List(runs, "runs")}
                <h2>Experiments</h2>
                {RegistryLinks.List(experiments, "experiments")}
                <h2>Dataset</h2>
                {Json(a.DatasetSpecJson)}
                """);
        });
}
