using System.Text.Json.Nodes;

namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>
/// A search over SAE settings. Each axis names a field of the SAE or training config JSON ("sae.k",
/// "training.sparsityCoefficient") and the values to try. Grid takes the product of all axes; random draws
/// <see cref="Samples"/> combinations with <see cref="Seed"/>. Runs that share their reads (activation set, hook, batch
/// size, steps, seed: every point of one sweep) train in packs of up to <see cref="PackSize"/> members, each batch
/// read once per pack; 0 means <see cref="DefaultPackSize"/>, 1 trains every point on its own (one read each).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SweepSpec(
    [property: Id(0)] TrainingRunSpec Base,
    [property: Id(1)] IReadOnlyDictionary<string, IReadOnlyList<string>> Axes,
    [property: Id(2)] bool Random = false,
    [property: Id(3)] int Samples = 0,
    [property: Id(4)] long Seed = 0,
    [property: Id(5)] int PackSize = 0)
{
    public const int MaxRuns = 256;
    /// <summary>Bounds one accelerator's memory (every member's weights and Adam state) and leaves a large sweep
    /// several packs to spread over the accelerators.</summary>
    public const int DefaultPackSize = 8;

    public int MembersPerPack => PackSize == 0 ? DefaultPackSize : PackSize;

    public SweepSpec Validated()
    {
        Base.Validated();
        if (Axes.Count == 0) throw new ArgumentException("sweep: at least one axis is required");
        foreach (var (name, values) in Axes)
        {
            if (!name.StartsWith("sae.", StringComparison.Ordinal) && !name.StartsWith("training.", StringComparison.Ordinal))
                throw new ArgumentException($"sweep axis '{name}' must start with sae. or training.");
            if (values.Count == 0) throw new ArgumentException($"sweep axis '{name}' has no values");
        }
        if (Random && Samples < 1) throw new ArgumentException("sweep: a random search needs samples >= 1");
        if (PackSize < 0 || PackSize > TrainingPackSpec.MaxMembers)
            throw new ArgumentException($"sweep: pack size must be between 1 and {TrainingPackSpec.MaxMembers} (0: the default {DefaultPackSize}), got {PackSize}");
        var size = Random ? Samples : Axes.Values.Aggregate(1L, (n, v) => n * v.Count);
        if (size > MaxRuns) throw new ArgumentException($"sweep: {size} runs is more than the limit of {MaxRuns}");
        return this;
    }

    /// <summary>The runs of this sweep, each with its axis values applied to a copy of the base configs.</summary>
    public IReadOnlyList<(string Label, TrainingRunSpec Spec)> Expand(string sweepId)
    {
        Validated();
        var axes = Axes.OrderBy(a => a.Key, StringComparer.Ordinal).ToList();
        IEnumerable<int[]> combos;
        if (Random)
        {
            var rng = new Random(unchecked((int)Seed));
            combos = Enumerable.Range(0, Samples).Select(_ => axes.Select(a => rng.Next(a.Value.Count)).ToArray()).ToList();
        }
        else
        {
            combos = axes.Aggregate<KeyValuePair<string, IReadOnlyList<string>>, IEnumerable<int[]>>(
                [[]], (acc, axis) => acc.SelectMany(prefix => Enumerable.Range(0, axis.Value.Count).Select(i => prefix.Append(i).ToArray())));
        }
        return combos.Select(combo =>
        {
            JsonNode sae = JsonNode.Parse(Base.SaeConfigJson) ?? throw new ArgumentException("sweep: base SAE config is not JSON");
            JsonNode training = JsonNode.Parse(Base.TrainingConfigJson) ?? throw new ArgumentException("sweep: base training config is not JSON");
            var parts = new List<string>();
            for (var i = 0; i < axes.Count; i++)
            {
                var (name, values) = (axes[i].Key, axes[i].Value);
                var value = values[combo[i]];
                var target = name.StartsWith("sae.", StringComparison.Ordinal) ? sae : training;
                var field = name[(name.IndexOf('.') + 1)..];
                // The config's own spelling of the field ("sae.k" sets "K"): its JSON is read case-sensitively.
                if (target is JsonObject fields && fields.FirstOrDefault(f => string.Equals(f.Key, field, StringComparison.OrdinalIgnoreCase)).Key is { } spelled)
                    field = spelled;
                target[field] = ParseValue(value);
                parts.Add($"{name}={value}");
            }
            var label = string.Join(",", parts);
            return (label, Base with { SaeConfigJson = sae.ToJsonString(), TrainingConfigJson = training.ToJsonString(), SweepId = sweepId });
        }).ToList();
    }

    static JsonNode? ParseValue(string text) =>
        double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)
            ? (d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d))
            : bool.TryParse(text, out var b) ? JsonValue.Create(b) : JsonValue.Create(text);
}
