using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// One model and everything downstream of it: its activation sets, the dictionaries trained on them, the runs that
/// used it, and the experiments that name it or any of those rows; then its spec.
/// </summary>
public static class ModelPage
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/models/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var m = await RegistryReads.ModelAsync(r, id, ct);
            var sets = await r.ActivationSets.ListAsync(modelId: id, limit: 1000, ct: ct);
            var dictionaries = await r.Compare.DictionariesAsync(new CompareQuery(ModelId: id, Limit: 1000), ct);
            var runs = (await r.Compare.RunsAsync(new CompareQuery(ModelId: id, Limit: 1000), ct)).Select(x => new RegistryRef("run", x.Id))
                .Concat(await r.Lineage.RunsNamingAsync(id, ct: ct)).DistinctBy(x => x.Id).ToList();
            var experiments = await r.Lineage.ExperimentsNamingAsync(
                [id, .. sets.Select(s => s.Id), .. dictionaries.Select(d => d.Id), .. runs.Select(x => x.Id)], ct: ct);
            return Layout.Page($"Model {m.Name}", $"""
                {Table(["id", "name", "family", "checkpoint", "training run", "created"], [[
                    E(m.Id), E(m.Name), E(RegistryNames.Name(m.Family)), m.CheckpointSha256 is { } sha ? $"<code title=\"{E(sha)}\">{E(Short(sha))}</code>" : "-",
                    RegistryLinks.Run(m.TrainingRunId), Time(m.CreatedAt)]])}
                <h2>Activation sets</h2>
                <div id="activation-sets">{Table(["activation set", "hook points", "rows", "extraction run", "created"], sets.Select(s => (IReadOnlyList<string>)
                    [RegistryLinks.ActivationSet(s.Id), E(string.Join(", ", s.HookPoints)), Num(s.RowCount), RegistryLinks.Run(s.ExtractionRunId), Time(s.CreatedAt)]))}</div>
                <h2>Dictionaries</h2>
                <div id="dictionaries">{Table(["dictionary", "activation set", "hook point", "arch.", "width", "L0", "FVU", "training run"], dictionaries.Select(d => (IReadOnlyList<string>)
                    [RegistryLinks.Dictionary(d.Id), RegistryLinks.ActivationSet(d.ActivationSetId), E(d.HookPoint), E(RegistryNames.Name(d.Architecture)),
                     Num(d.DSae), Num(d.L0), Num(d.Fvu), RegistryLinks.Run(d.TrainingRunId)]))}
                <p class="muted"><a href="/dictionaries?model={Seg(id)}">compare them in the dictionaries list</a></p></div>
                <h2>Runs</h2>
                {RegistryLinks.List(runs, "runs")}
                <h2>Experiments</h2>
                {RegistryLinks.List(experiments, "experiments")}
                <h2>Spec</h2>
                {Json(m.SpecJson)}
                """);
        });
}
