using System.Globalization;
using System.Reflection;
using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Grains.Sweeps;

/// <summary>
/// A sweep checked against the kernels' configs before anything starts (by the CLI and by the sweep grain's Start):
/// each axis names a field of <see cref="SaeConfig"/> (sae.*) or <see cref="SaeTrainingConfig"/> (training.*), each
/// value parses as that field's type (a finite number, an integer in range, a known enum name, a bool), and every
/// point's configs validate. A bad one is an ArgumentException of one line naming the field and the value, or the
/// point and its reason.
/// </summary>
public static class SweepPoints
{
    /// <summary>The sweep's points (as <see cref="SweepSpec.Expand"/>), each checked.</summary>
    public static IReadOnlyList<(string Label, TrainingRunSpec Spec)> Checked(SweepSpec spec, string sweepId)
    {
        spec.Validated();
        var fields = CheckValues(spec.Axes);
        var points = spec.Expand(sweepId);
        for (var i = 0; i < points.Count; i++)
        {
            var (label, run) = points[i];
            try
            {
                var sae = SaeConfig.FromJson(run.SaeConfigJson);
                var training = SaeTrainingConfig.FromJson(run.TrainingConfigJson);
                // The value must have reached the config (a field name the JSON spells otherwise would be ignored).
                foreach (var part in label.Split(','))
                {
                    var eq = part.IndexOf('=');
                    var (name, value) = (part[..eq], part[(eq + 1)..]);
                    var field = fields[name];
                    var actual = field.GetValue(name.StartsWith("sae.", StringComparison.Ordinal) ? sae : training);
                    if (!Equals(actual, Parse(name, field, value)))
                        throw new ArgumentException($"{field.Name} is {actual} in the point's config, not {value}");
                }
            }
            catch (Exception e) when (e is ArgumentException or JsonException or FormatException)
            {
                throw new ArgumentException($"sweep point {i} ({label}): {Lifecycle.JobFailure.Reason(e)}", e);
            }
        }
        return points;
    }

    /// <summary>Every axis names a config field and every value parses as its type (no activation set needed: the
    /// CLI checks this before it opens a session). Returns each axis's field.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> CheckValues(IReadOnlyDictionary<string, IReadOnlyList<string>> axes)
    {
        var fields = new Dictionary<string, PropertyInfo>();
        foreach (var (name, values) in axes)
        {
            if (!name.StartsWith("sae.", StringComparison.Ordinal) && !name.StartsWith("training.", StringComparison.Ordinal))
                throw new ArgumentException($"sweep axis '{name}' must start with sae. or training.");
            fields[name] = Field(name);
            // A value given twice (8,8 or 8,8.0) would train the same SAE twice and call one of them the front.
            var seen = new List<(object Parsed, string Text)>();
            foreach (var value in values)
            {
                var parsed = Parse(name, fields[name], value);
                if (seen.FirstOrDefault(v => Equals(v.Parsed, parsed)) is { Text: { } first })
                    throw new ArgumentException($"sweep axis '{name}' gives the same value twice ({first} and {value})");
                seen.Add((parsed, value));
            }
        }
        return fields;
    }

    /// <summary>
    /// The axis as the config spells it ("SAE.k" and "sae.k" are "sae.K"): prefixes and field names are matched
    /// case-insensitively, so two spellings of one field are one axis. An unknown field is refused with the list of
    /// the valid ones.
    /// </summary>
    public static string Canonical(string axis)
    {
        var dot = axis.IndexOf('.');
        var prefix = dot > 0 ? axis[..dot].Trim().ToLowerInvariant() : "";
        if (prefix is not ("sae" or "training"))
            throw new ArgumentException($"sweep axis '{axis}' must start with sae. or training. (valid axes: {ValidAxes()})");
        return $"{prefix}.{Field($"{prefix}.{axis[(dot + 1)..].Trim()}").Name}";
    }

    /// <summary>Every axis a sweep can take, as the help and the errors list them.</summary>
    public static string ValidAxes() =>
        string.Join(", ", Settable(typeof(SaeConfig)).Where(p => p.Name != nameof(SaeConfig.DIn)).Select(p => "sae." + p.Name)
            .Concat(Settable(typeof(SaeTrainingConfig)).Select(p => "training." + p.Name)));

    static List<PropertyInfo> Settable(Type config) =>
        config.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && Sweepable(p.PropertyType)).ToList();

    static bool Sweepable(Type t) => t == typeof(bool) || t.IsEnum || t == typeof(double) || t == typeof(int) || t == typeof(long);

    static PropertyInfo Field(string axis)
    {
        var config = axis.StartsWith("sae.", StringComparison.Ordinal) ? typeof(SaeConfig) : typeof(SaeTrainingConfig);
        var name = axis[(axis.IndexOf('.') + 1)..];
        var settable = Settable(config);
        var field = settable.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"sweep axis '{axis}': {config.Name} has no field '{name}' (valid axes: {ValidAxes()})");
        if (field.Name == nameof(SaeConfig.DIn) && config == typeof(SaeConfig))
            throw new ArgumentException($"sweep axis '{axis}': the input width comes from the activation set and cannot be swept");
        return field;
    }

    /// <summary>The value as the field's type, or a one-line error naming both.</summary>
    static object Parse(string axis, PropertyInfo field, string value)
    {
        var type = field.PropertyType;
        var inv = CultureInfo.InvariantCulture;
        ArgumentException Bad(string what) => new($"sweep value {axis}={value}: {field.Name} must be {what}");
        if (type == typeof(bool))
            return bool.TryParse(value, out var b) ? b : throw Bad("true or false");
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            var name = names.FirstOrDefault(n => string.Equals(n, value.Trim(), StringComparison.OrdinalIgnoreCase));
            return name is not null ? Enum.Parse(type, name) : throw Bad($"one of {string.Join(", ", names)}");
        }
        if (!double.TryParse(value, NumberStyles.Float, inv, out var d)) throw Bad(type == typeof(double) ? "a number" : "an integer");
        if (!double.IsFinite(d)) throw Bad("a finite number");
        if (type == typeof(double)) return d;
        if (d != Math.Floor(d)) throw Bad("an integer");
        if (type == typeof(int))
            return d is >= int.MinValue and <= int.MaxValue ? (int)d : throw Bad($"an integer in {int.MinValue}..{int.MaxValue}");
        if (type == typeof(long))
            // The contract writes integers below 1e15 as integers; beyond that a JSON double would lose digits.
            return Math.Abs(d) < 1e15 ? (long)d : throw Bad("an integer below 1e15 in magnitude");
        throw new ArgumentException($"sweep axis '{axis}': {field.Name} ({type.Name}) cannot be swept");
    }
}
