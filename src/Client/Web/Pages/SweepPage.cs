using MMInterp.Client.Web.Features;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Plots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// One sweep: its members with their axis values, settings and metrics (each linked, with a button to compare
/// them), the Pareto table (the members no other beats on both L0 and FVU) and the Pareto plot.
/// </summary>
public static class SweepPage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/sweeps/{id}", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var view = await SweepView.LoadAsync(r, id, ct);
            var s = view.Sweep;
            var members = view.Members.Select(m => (IReadOnlyList<string>)
            [
                $"<input type=\"checkbox\" name=\"run\" value=\"{E(m.Run.Id)}\" checked>", RegistryLinks.Run(m.Run.Id), E(m.Label),
                StatusCells.Status(m.Run.Status, m.Run.Error), Num(m.Run.Step), Num(m.Run.Loss), Num(m.Run.L0), Num(m.Run.Fvu),
                Num(m.Run.DeadFraction, "0.000"), RegistryLinks.Dictionary(m.Run.DictionaryId), m.OnFront ? "<span class=\"yes\">front</span>" : "",
            ]);
            var front = view.Front.Select(m => (IReadOnlyList<string>)[RegistryLinks.Run(m.Run.Id), E(m.Label), Num(m.Run.L0), Num(m.Run.Fvu), RegistryLinks.Dictionary(m.Run.DictionaryId)]);
            var plottable = view.Members.Any(m => m.Run.L0 is { } l && m.Run.Fvu is { } f && double.IsFinite(l) && double.IsFinite(f));
            return Layout.Page($"Sweep {s.Id}", $"""
                {Table(["run", "status", "progress", "members", "axes", "updated"], [[
                    RegistryLinks.Run(s.Id), StatusCells.Status(s.Status, s.Error), $"{Num(s.Progress * 100, "0")}%", Num(view.Members.Count),
                    E(string.Join(", ", view.Axes)), Time(s.UpdatedAt)]])}
                {(s.Error is { } err ? $"<p class=\"error\">{E(err)}</p>" : "")}
                <h2>Members</h2>
                <p class="muted">L0, FVU, loss and dead fraction: each member's last logged value.
                  <a href="/runs?sweep={Seg(s.Id)}">sort and filter them in the runs list</a>.</p>
                <form method="get" action="/compare" id="compare-form">
                <div id="members">{Table(["compare", "run", "axis values", "status", "step", "loss", "L0", "FVU", "dead frac.", "dictionary", "Pareto"], members, "(no member recorded yet)")}</div>
                <p><button type="submit">compare selected members</button></p>
                </form>
                <h2>Pareto front (L0 against FVU)</h2>
                <div id="pareto">{Table(["run", "axis values", "L0", "FVU", "dictionary"], front, "(no succeeded member has L0 and FVU yet)")}</div>
                {(plottable ? $"<figure>{Chart($"/sweeps/{Seg(s.Id)}/pareto.png", $"Pareto plot of {s.Id}", "pareto-plot")}<figcaption>red: the front</figcaption></figure>" : "")}
                <p class="muted">As JSON: <a href="/api/sweeps/{Seg(s.Id)}">/api/sweeps/{E(s.Id)}</a></p>
                <h2>Spec</h2>
                {Json(s.ConfigJson)}
                """);
        });

        app.MapGet("/sweeps/{id}/pareto.png", async (RegistryStore r, string id, CancellationToken ct) =>
        {
            var view = await SweepView.LoadAsync(r, id, ct);
            var points = view.Members.Where(m => m.Run.L0 is not null && m.Run.Fvu is not null)
                .Select(m => (m.Short, m.Run.L0!.Value, m.Run.Fvu!.Value, m.OnFront)).ToList();
            return await PlotImages.PngAsync(path => ParetoPlotPng.Write(path, points, $"L0 vs FVU, sweep {id}"), ct);
        });
    }
}
