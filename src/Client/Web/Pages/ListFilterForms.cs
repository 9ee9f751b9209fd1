using MMInterp.Client.Registry;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Http;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// Filters of the run and experiment lists read from a query string (type, status, model, since, until, q), the same
/// spelling as `registry list`'s options, with the experiments page's GET form.
/// </summary>
public static class ListFilterForms
{
    public static RegistryListFilter Read(HttpRequest request)
    {
        string? Q(string key) => request.Query[key].ToString() is { Length: > 0 } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        return new RegistryListFilter(Q("type"), Q("status"), Q("model"), RegistryListFilter.Date(Q("since"), "since"), RegistryListFilter.Date(Q("until"), "until"), Q("q"));
    }

    public static RunFilter Runs(HttpRequest request, int limit) => Read(request).ToRunFilter(limit);

    public static ExperimentFilter Experiments(HttpRequest request, int limit) => Read(request).ToExperimentFilter(limit);

    /// <summary>The experiments page's form, its fields filled with the current filter.</summary>
    public static string ExperimentForm(HttpRequest request)
    {
        string V(string key) => E(request.Query[key].ToString());
        return $"""
            <form method="get" action="/experiments" class="inline" id="experiment-filter">
            <input type="search" name="q" value="{V("q")}" placeholder="name or description" aria-label="name or description" maxlength="200">
            <input type="text" name="type" value="{V("type")}" placeholder="kind (clip-study, ...)" aria-label="kind" maxlength="64">
            <input type="text" name="status" value="{V("status")}" placeholder="status (failed, ...)" aria-label="status" maxlength="16">
            <input type="text" name="model" value="{V("model")}" placeholder="model id" aria-label="model id" maxlength="128">
            from <input type="date" name="since" value="{V("since")}" aria-label="created from">
            before <input type="date" name="until" value="{V("until")}" aria-label="created before">
            <button type="submit">filter</button>{(request.QueryString.HasValue ? " <a href=\"/experiments\">clear</a>" : "")}
            </form>
            """;
    }
}
