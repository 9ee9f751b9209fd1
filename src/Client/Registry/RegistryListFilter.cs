using System.CommandLine;
using System.Globalization;
using MMInterp.Grains.Registry;

namespace MMInterp.Client.Registry;

/// <summary>
/// Filters of `registry list runs|experiments` (and the experiments page): --type (run or experiment kind), --status
/// (runs), --model, --since/--until (creation date, UTC; inclusive/exclusive), --search (experiment name or
/// description). Parsed into the registry's <see cref="RunFilter"/> and <see cref="ExperimentFilter"/>.
/// </summary>
public sealed record RegistryListFilter(string? Type = null, string? Status = null, string? Model = null, DateTimeOffset? Since = null,
    DateTimeOffset? Until = null, string? Search = null)
{
    public bool IsEmpty => this == new RegistryListFilter();

    public RunFilter ToRunFilter(int limit)
    {
        if (Search is not null) throw new ArgumentException("--search applies to experiments only");
        return new RunFilter(Type is null ? null : RegistryNames.ParseRunKind(Type.Replace('-', '_')), Status is null ? null : RegistryNames.ParseRunStatus(Status),
            Model, Since, Until, Limit: limit).Validated();
    }

    public ExperimentFilter ToExperimentFilter(int limit)
    {
        return new ExperimentFilter(Type, Model, Since, Until, Search, limit, Status is null ? null : RegistryNames.ParseRunStatus(Status)).Validated();
    }

    /// <summary>A date ("2026-12-01", read as UTC midnight) or a date and time ("2026-12-01T14:00Z").</summary>
    public static DateTimeOffset? Date(string? text, string name)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw new ArgumentException($"{name} must be a date such as 2026-12-01 or 2026-12-01T14:00Z, got '{text}'");
    }

    /// <summary>The command-line options, added to a command by <see cref="Add"/> and read back by <see cref="Read"/>.</summary>
    public sealed class Options
    {
        readonly Option<string?> _type = new("--type") { Description = "runs: sae_training | model_training | extraction | sweep | analysis; experiments: their kind" };
        readonly Option<string?> _status = new("--status") { Description = "runs and experiments: pending | running | succeeded | failed | cancelled" };
        readonly Option<string?> _model = new("--model") { Description = "runs and experiments tied to this model id (by lineage or config)" };
        readonly Option<string?> _since = new("--since") { Description = "created at or after this UTC date/time (2026-12-01 or 2026-12-01T14:00Z)" };
        readonly Option<string?> _until = new("--until") { Description = "created before this UTC date/time" };
        readonly Option<string?> _search = new("--search") { Description = "experiments only: text in the name or description" };

        public void Add(Command command)
        {
            foreach (var o in new[] { _type, _status, _model, _since, _until, _search }) command.Options.Add(o);
        }

        public RegistryListFilter Read(ParseResult parse) => new(
            Blank(parse.GetValue(_type)), Blank(parse.GetValue(_status)), Blank(parse.GetValue(_model)),
            Date(parse.GetValue(_since), "--since"), Date(parse.GetValue(_until), "--until"), Blank(parse.GetValue(_search)));

        static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    }
}
