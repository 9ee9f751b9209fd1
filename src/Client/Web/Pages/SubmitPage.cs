using System.Security.Claims;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;
using MMInterp.Kernels.Artefacts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// /submit: a form per kind of work (extract, train-sae, sweep, analyze). A post (write scope; <see cref="CsrfGuard"/>
/// checks its origin and anti-forgery token) goes the API's road (<see cref="SubmittedForm"/> then
/// <see cref="JobSubmissions"/>) and lands on the job's page (<see cref="JobPage"/>); bad input comes back as the same
/// form, filled in as sent, with the road's one-line error above it and nothing started.
/// </summary>
public static class SubmitPage
{
    const int Suggestions = 200;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/submit", async (RegistryStore r, ClaimsPrincipal user, CancellationToken ct) =>
            await PageAsync(r, user.CanWrite(), null, null, null, StatusCodes.Status200OK, ct));

        app.MapPost("/submit/{kind}", async (HttpRequest request, RegistryStore r, ArtefactStore a, WebCluster c, ClaimsPrincipal user, string kind, CancellationToken ct) =>
        {
            if (!JobSubmissions.Kinds.Contains(kind)) throw new KeyNotFoundException($"no kind of work '{kind}'; known: {string.Join(", ", JobSubmissions.Kinds)}");
            var form = await RequestBodies.FormAsync(request, ct);
            try
            {
                var started = await JobSubmissions.SubmitAsync(kind, SubmittedForm.Read(kind, form), ApiJobs.Work(r, a, c), ct);
                return Results.Redirect(JobPage.Path(started.Id), permanent: false);
            }
            catch (Exception e) when (WebErrors.Classify(e) is (StatusCodes.Status400BadRequest, var message))
            {
                return await PageAsync(r, user.CanWrite(), kind, message, form, StatusCodes.Status400BadRequest, ct);
            }
        }).RequireAuthorization(WebAuth.WritePolicy).DisableAntiforgery(); // CsrfGuard checks cookie posts (origin and token) for every route
    }

    static async Task<IResult> PageAsync(RegistryStore r, bool canWrite, string? failedKind, string? error, IFormCollection? sent, int status, CancellationToken ct)
    {
        if (!canWrite)
            return Layout.Page("Submit work", "<p class=\"muted\" id=\"submit-needs-write\">Submitting work needs a write token: log in with one "
                + "(<code>mminterp token create --scope write</code>) to start extractions, SAE training, sweeps and analyses here.</p>");
        var models = (await r.Models.ListAsync(limit: Suggestions, ct: ct)).SelectMany(m => new[] { m.Id, m.Name });
        var sets = (await r.ActivationSets.ListAsync(limit: Suggestions, ct: ct)).Select(s => s.Id);
        var dictionaries = (await r.Dictionaries.ListAsync(limit: Suggestions, ct: ct)).Select(d => d.Id);
        var lists = DataList(SubmitFields.Models, models) + DataList(SubmitFields.ActivationSets, sets) + DataList(SubmitFields.Dictionaries, dictionaries)
                    + DataList(SubmitFields.SaeKinds, SubmitFields.SaeKindNames) + DataList(SubmitFields.AnalysisKinds, AnalysisCatalog.Kinds);
        var index = "<p>" + string.Join(" &middot; ", JobSubmissions.Kinds.Select(k => $"<a href=\"#{E(k)}\">{E(SubmitFields.Title(k))}</a>"))
                    + ". Each form takes the options of its command; an empty field means its default (shown greyed). "
                    + "After submitting you follow the job on its own page.</p>";
        var forms = string.Concat(JobSubmissions.Kinds.Select(k => Form(k, k == failedKind ? error : null, k == failedKind ? sent : null)));
        return Layout.Page("Submit work", index + forms + lists, status);
    }

    static string Form(string kind, string? error, IFormCollection? sent)
    {
        var rows = string.Concat(SubmitFields.Of(kind).Select(f =>
        {
            var value = sent?[f.Name].ToString() ?? "";
            var id = $"{kind}-{f.Name}";
            var input = f.Input is FieldInput.Grid or FieldInput.Json
                ? $"<textarea id=\"{E(id)}\" name=\"{E(f.Name)}\" rows=\"3\" placeholder=\"{E(f.Placeholder)}\">{E(value)}</textarea>"
                : $"<input type=\"text\" id=\"{E(id)}\" name=\"{E(f.Name)}\" value=\"{E(value)}\" placeholder=\"{E(f.Placeholder)}\""
                  + (f.Input == FieldInput.Number ? " inputmode=\"decimal\" class=\"short\"" : "")
                  + (f.Suggestions is { } list ? $" list=\"{E(list)}\"" : "") + ">";
            return $"<tr><th><label for=\"{E(id)}\">{E(f.Label)}</label>{(f.Required ? " *" : "")}</th><td>{input}</td><td class=\"muted\"><code>{E(f.Name)}</code></td></tr>\n";
        }));
        var problem = error is null ? "" : $"<p class=\"error\" id=\"error-{E(kind)}\" role=\"alert\">{E(error)}</p>";
        return $"""
            <section id="{E(kind)}">
            <h2>{E(SubmitFields.Title(kind))} <span class="muted">(as <code>{E(SubmitFields.Command(kind))}</code>, or POST /api/jobs/{E(kind)})</span></h2>
            {problem}
            <form method="post" action="/submit/{E(kind)}" id="submit-{E(kind)}" class="submit">
            {CsrfGuard.TokenSlot}
            <table>
            {rows}</table>
            <button type="submit">start {E(kind)}</button>
            </form>
            </section>
            """;
    }

    static string DataList(string id, IEnumerable<string> values) =>
        $"<datalist id=\"{E(id)}\">" + string.Concat(values.Distinct().Select(v => $"<option value=\"{E(v)}\">")) + "</datalist>";
}
