using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MMInterp.Kernels.Analyses;

/// <summary>Older spellings of an option, still accepted (in an experiment's options JSON and as CLI flags).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class OptionAliasAttribute(params string[] names) : Attribute
{
    public IReadOnlyList<string> Names { get; } = names;
}

/// <summary>A list option the CLI reads from a text file named under its own flag, one entry per line (blank lines and
/// lines starting with # skipped); the options JSON holds the entries.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LinesFromFileAttribute(string flag) : Attribute
{
    public string Flag { get; } = flag;
}

/// <summary>One option of an analysis: its name (snake_case; the options JSON key, and `--kebab-case` on the CLI), its
/// older spellings, its type, its default and what it means.</summary>
public sealed record AnalysisOption(string Name, IReadOnlyList<string> Aliases, Type Type, object? Default, string Description, PropertyInfo? Property = null)
{
    /// <summary>The CLI flag: the name in kebab case, or the file flag of a list read from a file.</summary>
    public string Flag => "--" + (FileFlag ?? Name.Replace('_', '-'));

    /// <summary>Set when the CLI reads this list from a file (<see cref="LinesFromFileAttribute"/>).</summary>
    public string? FileFlag => Property?.GetCustomAttribute<LinesFromFileAttribute>()?.Flag;

    /// <summary>The default as text, for help.</summary>
    public string DefaultText => Default switch
    {
        null => "none",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e => string.Join(",", e.Cast<object>().Select(x => Convert.ToString(x, CultureInfo.InvariantCulture))),
        _ => Default.ToString() ?? "",
    };
}

/// <summary>
/// The options of one analysis, read off its options record: every public init property is an option named by its
/// snake_case name (or its [JsonPropertyName]), its default is the record's initial value, its meaning the property's
/// [Description]. This is the single source of option names for the experiment's options JSON and for the CLI.
/// </summary>
public sealed class AnalysisOptionSet
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    AnalysisOptionSet(string kind, Type type, IReadOnlyList<AnalysisOption> options)
    {
        Kind = kind;
        OptionsType = type;
        Options = options;
    }

    public string Kind { get; }
    public Type OptionsType { get; }
    public IReadOnlyList<AnalysisOption> Options { get; }

    public static AnalysisOptionSet For<TOptions>(string kind) where TOptions : new()
    {
        var defaults = new TOptions();
        var options = typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<JsonIgnoreAttribute>() is null)
            .Select(p => new AnalysisOption(
                p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name),
                p.GetCustomAttribute<OptionAliasAttribute>()?.Names ?? [],
                p.PropertyType, p.GetValue(defaults), p.GetCustomAttribute<DescriptionAttribute>()?.Description ?? "", p))
            .ToList();
        return new AnalysisOptionSet(kind, typeof(TOptions), options);
    }

    /// <summary>Options declared as a table rather than a record (an analysis that reads its JSON itself).</summary>
    public static AnalysisOptionSet Of(string kind, IReadOnlyList<AnalysisOption> options) => new(kind, typeof(object), options);

    /// <summary>The option called <paramref name="name"/> (or by an older spelling), or an ArgumentException listing the known names.</summary>
    public AnalysisOption Find(string name) =>
        Options.FirstOrDefault(o => o.Name == name) ?? Options.FirstOrDefault(o => o.Aliases.Contains(name))
        ?? throw new ArgumentException($"{Kind}: unknown option '{name}'; known: {string.Join(", ", Options.Select(o => o.Name))}");

    /// <summary>The options of a JSON object over the defaults. Older spellings are accepted; an unknown name or a value
    /// of the wrong type is one error naming the option.</summary>
    public TOptions Read<TOptions>(string json) => (TOptions)Read(json, typeof(TOptions));

    /// <summary>Checks an options JSON as the analysis will read it (before an experiment is submitted).</summary>
    public void Check(string json)
    {
        if (OptionsType != typeof(object)) Read(json, OptionsType);
    }

    object Read(string json, Type type)
    {
        var root = (string.IsNullOrWhiteSpace(json) ? new JsonObject() : JsonNode.Parse(json) as JsonObject)
                   ?? throw new ArgumentException($"{Kind}: analysis options must be a JSON object");
        var canonical = new JsonObject();
        foreach (var (key, value) in root)
        {
            var option = Find(key);
            if (canonical.ContainsKey(option.Name)) throw new ArgumentException($"{Kind}: option '{option.Name}' is given twice (as '{key}')");
            canonical[option.Name] = value?.DeepClone();
        }
        foreach (var (key, value) in canonical.ToList())
        {
            if (value is null) canonical.Remove(key); // null means "the default", as before
        }
        try
        {
            return canonical.Deserialize(type, Json) ?? throw new ArgumentException($"{Kind}: analysis options are empty");
        }
        catch (JsonException e)
        {
            var name = e.Path?.TrimStart('$', '.') ?? "?";
            var expected = Options.FirstOrDefault(o => o.Name == name)?.Type;
            throw new ArgumentException($"{Kind}: option '{name}' must be {TypeWord(expected)}, got {canonical[name]?.ToJsonString() ?? "null"}", e);
        }
    }

    /// <summary>The options JSON of a record (every option, by its name).</summary>
    public static string Write<TOptions>(TOptions options) => JsonSerializer.Serialize(options, Json);

    static string TypeWord(Type? type) => type switch
    {
        null => "a known value",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ when type == typeof(double) || type == typeof(float) => "a number",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(string) => "a string",
        _ when type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>)) => "a list",
        _ => $"a {type.Name}",
    };
}
