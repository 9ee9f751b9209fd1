using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Platform;

/// <summary>
/// An analysis' options on a CLI command, made from its options record (<see cref="AnalysisOptionSet"/>): each option is
/// `--kebab-case` of its name, its older spellings are aliases, and what the command line sets becomes the experiment's
/// options JSON under the record's names. The CLI spells no option name of its own, so the two cannot drift.
/// </summary>
public sealed class StudyOptions
{
    readonly List<(AnalysisOption Option, Option Cli, bool CommandDefault)> _bound = [];

    StudyOptions(AnalysisOptionSet set) => Set = set;

    public AnalysisOptionSet Set { get; }

    /// <param name="command">the command the options are added to</param>
    /// <param name="set">the analysis' options</param>
    /// <param name="only">bind just these (by name); default all but <paramref name="except"/></param>
    /// <param name="defaults">this command's own defaults (by name, as command-line text), sent with every run</param>
    /// <param name="legacy">older flags of this command: flag -> option name</param>
    public static StudyOptions Add(Command command, AnalysisOptionSet set, IEnumerable<string>? only = null, IEnumerable<string>? except = null,
        IReadOnlyDictionary<string, string>? defaults = null, IReadOnlyDictionary<string, string>? legacy = null)
    {
        var bound = new StudyOptions(set);
        var chosen = only?.Select(set.Find).ToList() ?? set.Options.Where(o => !(except ?? []).Contains(o.Name)).ToList();
        foreach (var name in (defaults?.Keys ?? []).Concat(legacy?.Values ?? [])) set.Find(name); // a typo fails at start-up
        var taken = command.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        foreach (var option in chosen)
        {
            string? fallback = defaults is not null && defaults.TryGetValue(option.Name, out var d) ? d : null;
            // A command's own default is shown by System.CommandLine; a null default means "decided by the analysis" (said in the description).
            var description = fallback is not null || option.Default is null ? option.Description : $"{option.Description} (default: {option.DefaultText})";
            Option cli = option.Type == typeof(bool)
                ? new Option<bool>(option.Flag) { Description = description, DefaultValueFactory = fallback is null ? null : _ => bool.Parse(fallback) }
                : new Option<string?>(option.Flag) { Description = description, DefaultValueFactory = fallback is null ? null : _ => fallback };
            var aliases = option.Aliases.Select(a => "--" + a.Replace('_', '-'))
                .Concat(legacy?.Where(kv => kv.Value == option.Name).Select(kv => kv.Key) ?? []);
            foreach (var alias in aliases.Where(a => !taken.Contains(a) && a != option.Flag).Distinct()) cli.Aliases.Add(alias);
            command.Options.Add(cli);
            bound._bound.Add((option, cli, fallback is not null));
        }
        return bound;
    }

    /// <summary>The CLI option bound to <paramref name="name"/>.</summary>
    public Option this[string name] => _bound.First(b => b.Option.Name == Set.Find(name).Name).Cli;

    /// <summary>What the command line set (and this command's defaults), under the options' names.</summary>
    public JsonObject Read(ParseResult parse)
    {
        var json = new JsonObject();
        foreach (var (option, cli, commandDefault) in _bound)
        {
            if (cli is Option<bool> flag)
            {
                // A flag not on the command line leaves the analysis's own default (System.CommandLine hands back an
                // implicit false for it), unless this command set a default of its own.
                if (parse.GetResult(flag) is { } given && (!given.Implicit || commandDefault)) json[option.Name] = parse.GetValue(flag);
            }
            else if (parse.GetValue((Option<string?>)cli) is { } text) json[option.Name] = Parse(option, text);
        }
        return json;
    }

    /// <summary>Command-line text as the option's JSON value; a bad value names the flag.</summary>
    static JsonNode? Parse(AnalysisOption option, string text)
    {
        var type = Nullable.GetUnderlyingType(option.Type) ?? option.Type;
        if (option.FileFlag is not null) return new JsonArray(PromptFile.Read(option.Flag, text).Select(l => (JsonNode?)JsonValue.Create(l)).ToArray());
        if (type.IsArray)
        {
            var element = type.GetElementType()!;
            return new JsonArray(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(t => Scalar(option, element, t)).ToArray());
        }
        return Scalar(option, type, text);
    }

    static JsonNode? Scalar(AnalysisOption option, Type type, string text)
    {
        if (type == typeof(int) || type == typeof(long))
            return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n)
                : throw new ArgumentException($"{option.Flag}: '{text}' is not a whole number");
        if (type == typeof(double) || type == typeof(float))
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? JsonValue.Create(x)
                : throw new ArgumentException($"{option.Flag}: '{text}' is not a number");
        return JsonValue.Create(text);
    }
}
