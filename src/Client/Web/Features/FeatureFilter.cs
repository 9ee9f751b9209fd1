using System.Globalization;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using static MMInterp.Client.Web.Rendering.Html;

namespace MMInterp.Client.Web.Features;

/// <summary>
/// The feature table's filters as they arrive in a query string (q, concept, auroc_min, auroc_max, steerable,
/// dashboard, method), parsed with one-line errors, rendered back as a form and as link parameters.
/// </summary>
public sealed record FeatureFilter(
    string? Text = null, string? Concept = null, double? MinAuroc = null, double? MaxAuroc = null,
    bool? Steerable = null, bool? HasDashboard = null, LabelMethod? Method = null)
{
    public static FeatureFilter Parse(string? q, string? concept, string? aurocMin, string? aurocMax, string? steerable, string? dashboard, string? method) =>
        new(Blank(q), Blank(concept), Number(aurocMin, "auroc_min"), Number(aurocMax, "auroc_max"), YesNo(steerable, "steerable"), YesNo(dashboard, "dashboard"),
            Blank(method) is { } m ? RegistryNames.ParseLabelMethod(m) : null);

    public FeatureQuery ToQuery(FeatureSort sort, int offset, int limit) =>
        new FeatureQuery(Text, Concept, MinAuroc, MaxAuroc, Steerable, HasDashboard, Method, sort.Key, sort.Descending, offset, limit).Validated();

    /// <summary>The filter as query-string pairs ("&amp;q=red&amp;steerable=yes"), empty when nothing is filtered.</summary>
    public string QueryString()
    {
        var pairs = new List<string>();
        void Add(string key, string? value)
        {
            if (value is not null) pairs.Add($"{key}={Uri.EscapeDataString(value)}");
        }
        Add("q", Text);
        Add("concept", Concept);
        Add("auroc_min", MinAuroc?.ToString("R", CultureInfo.InvariantCulture));
        Add("auroc_max", MaxAuroc?.ToString("R", CultureInfo.InvariantCulture));
        Add("steerable", Steerable is { } s ? (s ? "yes" : "no") : null);
        Add("dashboard", HasDashboard is { } d ? (d ? "yes" : "no") : null);
        Add("method", Method is { } m ? RegistryNames.Name(m) : null);
        return string.Concat(pairs.Select(p => "&" + p));
    }

    public bool IsEmpty => this == new FeatureFilter();

    /// <summary>The filter form (GET, so a filtered table is a link one can share).</summary>
    public string Form(string action, FeatureSort sort)
    {
        string Choice(string name, bool? value, string yes, string no) => $"""
            <select name="{name}" aria-label="{name}"><option value="">{E(name)}: any</option>
            <option value="yes"{(value == true ? " selected" : "")}>{E(yes)}</option><option value="no"{(value == false ? " selected" : "")}>{E(no)}</option></select>
            """;
        var methods = string.Concat(Enum.GetValues<LabelMethod>().Select(m =>
            $"<option value=\"{RegistryNames.Name(m)}\"{(Method == m ? " selected" : "")}>{RegistryNames.Name(m)}</option>"));
        return $"""
            <form method="get" action="{E(action)}" class="inline" id="feature-filter">
            <input type="hidden" name="sort" value="{E(sort.Key)}"><input type="hidden" name="order" value="{(sort.Descending ? "desc" : "asc")}">
            <input type="search" name="q" value="{E(Text ?? "")}" placeholder="label text" aria-label="label text" maxlength="{FeatureQuery.MaxTextLength}">
            <input type="search" name="concept" value="{E(Concept ?? "")}" placeholder="concept" aria-label="concept" maxlength="{FeatureQuery.MaxTextLength}">
            AUROC <input type="number" name="auroc_min" value="{MinAuroc?.ToString("R", CultureInfo.InvariantCulture)}" min="0" max="1" step="any" aria-label="minimum AUROC" size="5">
            to <input type="number" name="auroc_max" value="{MaxAuroc?.ToString("R", CultureInfo.InvariantCulture)}" min="0" max="1" step="any" aria-label="maximum AUROC" size="5">
            {Choice("steerable", Steerable, "steerable", "tested, not steerable")}
            {Choice("dashboard", HasDashboard, "has a dashboard", "no dashboard")}
            <select name="method" aria-label="label method"><option value="">method: any</option>{methods}</select>
            <button type="submit">filter</button>{(IsEmpty ? "" : $" <a href=\"{E(action + "?sort=" + sort.Key)}\">clear</a>")}
            </form>
            """;
    }

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    static double? Number(string? s, string name) =>
        Blank(s) is not { } t ? null
        : double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v
        : throw new ArgumentException($"{name} must be a number, got '{t}'");

    static bool? YesNo(string? s, string name) => Blank(s)?.ToLowerInvariant() switch
    {
        null => null,
        "yes" or "true" or "1" => true,
        "no" or "false" or "0" => false,
        var t => throw new ArgumentException($"{name} must be yes or no, got '{t}'"),
    };
}
