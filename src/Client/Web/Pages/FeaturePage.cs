using System.Globalization;
using System.Security.Claims;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Features;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// The feature dashboard: labels (every method, with scores), ground truth, activation statistics, the top-examples
/// grid, the activation histogram and the steering result. Write tokens also get a form to add a manual label.
/// </summary>
public static class FeaturePage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/dictionaries/{id}/features/{index:int}", async (RegistryStore r, ClaimsPrincipal user, string id, int index, CancellationToken ct) =>
        {
            var (d, row, labels) = await RegistryReads.FeatureAsync(r, id, index, ct);
            return Layout.Page($"Feature {index} of {d.Id}", Render(d, FeatureSummary.From(row, labels), user.CanWrite()));
        });

        // The dashboard's label form; answers with a redirect back to the dashboard (post/redirect/get).
        app.MapPost("/dictionaries/{id}/features/{index:int}/labels", async (HttpRequest request, RegistryStore r, ClaimsPrincipal user, string id, int index, CancellationToken ct) =>
        {
            var form = await RequestBodies.FormAsync(request, ct);
            await ManualLabels.AddAsync(r, id, index, form["label"].ToString(), 1.0, ManualLabels.Author(user), ct);
            return Results.Redirect($"/dictionaries/{Seg(id)}/features/{index}", permanent: false);
        }).RequireAuthorization(WebAuth.WritePolicy).DisableAntiforgery(); // CsrfGuard checks cookie posts (origin and token) for every route
    }

    static string Render(DictionaryRecord d, FeatureSummary f, bool canWrite)
    {
        var self = $"/dictionaries/{Seg(d.Id)}";
        var nav = $"<p>{Link(self, "back to " + d.Id)}"
                  + (f.Index > 0 ? " &middot; " + Link($"{self}/features/{f.Index - 1}", "previous feature") : "")
                  + (f.Index < d.DSae - 1 ? " &middot; " + Link($"{self}/features/{f.Index + 1}", "next feature") : "") + "</p>";
        var best = f.BestLabel;
        var labels = f.Labels.Count > 0
            ? Table(["label", "method", "score", "scale", "experiment", "by", "changed"], f.Labels.Select(l => (IReadOnlyList<string>)
                [
                    E(l.Label) + (l.Method == LabelMethod.FreeLabel && LabelScales.OutsideVocabulary(f.Concept) ? " <span class=\"outside\">(concept outside vocabulary)</span>" : ""),
                    $"<span class=\"method method-{E(RegistryNames.Name(l.Method))}\">{E(RegistryNames.Name(l.Method))}</span>",
                    $"{Num(l.Score, "0.000")} {LabelScales.Unit(l.Method)}", $"<span class=\"muted\">{LabelScales.Scale(l.Method)}</span>",
                    l.ExperimentId is { } x ? Link($"/experiments/{Seg(x)}", x) : "-",
                    E(l.UpdatedBy ?? l.CreatedBy ?? "-"), Time(l.UpdatedAt) + (canWrite && l.Method == LabelMethod.Manual ? ManualForms(self, f.Index, l) : ""),
                ]))
            : "<p class=\"empty\">(no labels recorded)</p>";
        var free = f.FreeLabels.Count > 0
            ? "<h2>Free labels (nearest text embeddings)</h2>"
              + (LabelScales.OutsideVocabulary(f.Concept) ? $"<p class=\"outside\" id=\"outside-vocabulary\">{E(f.Concept)}: {E(LabelScales.OutsideNote)}.</p>" : "")
              + Table(["label", "score (z)"], f.FreeLabels.Select(l => (IReadOnlyList<string>)[E(l.Label), Num(l.Score, "0.000")]))
            : "";
        var truth = f.Concept is null && f.Auroc is null
            ? "<p class=\"empty\">(not scored against ShapesWorld truth)</p>"
            : $"<p id=\"ground-truth\">best concept <b class=\"concept\">{E(f.Concept ?? "-")}</b>, AUROC <b>{Num(f.Auroc, "0.000")}</b></p>";
        var steering = f.Steering is { } s
            ? $"""
              <p id="steering">target <b>{E(s.Target ?? "-")}</b>, &Delta;p(target) <b>{Num(s.DeltaProb, "0.000")}</b>,
              flip share <b>{Num(s.FlipShare, "0.000")}</b> {DictionaryPage.Steerable(s.Steerable)}</p>
              """
            : "<p class=\"empty\">(no steering test recorded)</p>";
        var form = canWrite
            ? $"""
              <form method="post" action="{E($"{self}/features/{f.Index}/labels")}" class="inline" id="label-form">
              {CsrfGuard.TokenSlot}
              <input type="text" name="label" maxlength="{ManualLabels.MaxLength}" placeholder="a name for this feature" aria-label="label" required>
              <button type="submit">add manual label</button>
              </form>
              """
            : "<p class=\"muted\">A write token can add a manual label here.</p>";
        return $"""
            {nav}
            <p class="headline">Label: <b id="best-label">{E(best ?? "(unlabelled)")}</b>{(f.BestLabelMethod is { } bm ? $" <span class=\"method\" id=\"best-label-method\">{E(RegistryNames.Name(bm))}</span>" : "")}{(f.TextReading == true ? " &middot; <b>reads text</b>" : "")}</p>
            {Table(["layer", "hook", "density", "mean act.", "max act.", "text-reading"], [[
                f.Layer?.ToString(CultureInfo.InvariantCulture) ?? "-", E(f.Hook ?? d.HookPoint), Num(f.Density, "0.0000"), Num(f.MeanActivation),
                Num(f.MaxActivation), f.TextReading switch { true => "yes", false => "no", null => "-" }]])}
            <h2>Labels</h2>
            <div id="labels">{labels}</div>
            {form}
            {free}
            <h2>Ground truth</h2>
            {truth}
            <h2>Top-activating examples</h2>
            {Image(f, "top_examples", "top-activating examples")}
            <h2>Activation histogram</h2>
            {Image(f, "histogram", "activation histogram")}
            <h2>Steering</h2>
            {steering}
            {(f.Images.ContainsKey("steering") ? Image(f, "steering", "steering result") : "")}
            {OtherImages(f)}
            """;
    }

    /// <summary>Edit and delete forms for one manual label (write tokens only; CsrfGuard checks the posts).</summary>
    static string ManualForms(string self, int index, LabelRecord l)
    {
        var action = $"{self}/features/{index}/labels/{l.Id}";
        return $"""
            <form method="post" action="{E(action + "/edit")}" class="inline label-edit">{CsrfGuard.TokenSlot}
            <input type="text" name="label" value="{E(l.Label)}" maxlength="{ManualLabels.MaxLength}" aria-label="new text of label {l.Id}" required>
            <button type="submit">save</button></form>
            <form method="post" action="{E(action + "/delete")}" class="inline label-delete">{CsrfGuard.TokenSlot}<button type="submit">delete</button></form>
            """;
    }

    static readonly string[] Known = ["top_examples", "histogram", "steering"];

    static string Image(FeatureSummary f, string key, string alt) =>
        f.Images.TryGetValue(key, out var sha)
            ? $"<figure>{ArtefactImage(sha, alt, "img-" + key.Replace('_', '-'))}</figure>"
            : $"<p class=\"empty\">(no {E(alt)} image)</p>";

    /// <summary>Images under keys the dashboard does not know yet (later analyses) still show, captioned by key.</summary>
    static string OtherImages(FeatureSummary f)
    {
        var other = f.Images.Where(p => !Known.Contains(p.Key)).ToList();
        return other.Count == 0 ? "" : "<h2>Other pictures</h2>" + string.Concat(other.Select(p =>
            $"<figure>{ArtefactImage(p.Value, p.Key, "image-" + p.Key)}<figcaption>{E(p.Key)}</figcaption></figure>"));
    }
}
