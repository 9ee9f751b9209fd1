using System.Globalization;
using MMInterp.Grains.Registry;
using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// The compare lists' query parameters, shared by the pages and the API: sort (a column key), order (asc|desc),
/// kind, status, model, activation_set, hook, architecture, sweep, max_fvu, max_l0, limit. Empty values (a filter
/// form's blank fields) mean no filter; a bad value is a 400 naming the parameter.
/// </summary>
public static class CompareQueries
{
    public const int DefaultLimit = 200;

    /// <summary>The filter parameters, in the order the filter forms show them.</summary>
    public static readonly string[] Filters = ["kind", "status", "model", "activation_set", "hook", "architecture", "sweep", "max_fvu", "max_l0"];

    public static CompareQuery From(HttpRequest request)
    {
        string? Text(string key) => request.Query[key].ToString() is { Length: > 0 } v ? Checked(v.Trim(), key) : null;
        double? Number(string key) => Text(key) is not { } v ? null
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d
            : throw new ArgumentException($"{key} must be a number, got '{v}'");
        var order = Text("order")?.ToLowerInvariant();
        if (order is not (null or "asc" or "desc")) throw new ArgumentException($"order must be asc or desc, got '{order}'");
        var limit = Text("limit") is { } l
            ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"limit must be a whole number, got '{l}'")
            : DefaultLimit;
        return new CompareQuery(
            Sort: Text("sort"), Descending: order != "asc",
            Kind: Text("kind") is { } k ? RegistryNames.ParseRunKind(k) : null,
            Status: Text("status") is { } s ? RegistryNames.ParseRunStatus(s) : null,
            ModelId: Text("model"), ActivationSetId: Text("activation_set"), Hook: Text("hook"), Architecture: Text("architecture"),
            ParentRunId: Text("sweep"), MaxFvu: Number("max_fvu"), MaxL0: Number("max_l0"), Limit: limit);
    }

    /// <summary>A filter value or metric name from a request, refused (400) when PostgreSQL could not store it as text
    /// (a NUL, a lone surrogate) or when it holds other control characters; returned as is otherwise.</summary>
    public static string Checked(string value, string what)
    {
        if (value.Length > 1000) throw new ArgumentException($"{what} is longer than 1000 characters");
        if (WebText.LoneSurrogate(value) >= 0 || value.Any(char.IsControl))
            throw new ArgumentException($"{what} contains control characters or broken Unicode: '{WebText.Printable(value)}'");
        return value;
    }

    /// <summary>The request's filter values (non-empty only), to carry into sort links.</summary>
    public static IReadOnlyList<(string Key, string Value)> FilterValues(HttpRequest request) =>
        Filters.Select(f => (f, request.Query[f].ToString().Trim())).Where(p => p.Item2.Length > 0).ToList();
}
