using System.Text.Json;

namespace MMInterp.Grains.Contracts.Experiments;

/// <summary>
/// One analysis to run on an accelerator silo and record as an experiment: which kind (for example
/// <c>clip-study</c>: labels, ground truth, steering and typographic attack on one SAE), which registered model and
/// dictionary, which hook, and kind-specific options as a JSON object. Validated at the edge.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AnalysisSpec(
    [property: Id(0)] string Kind,
    [property: Id(1)] string ModelId,
    [property: Id(2)] string? DictionaryId = null,
    [property: Id(3)] string? HookPoint = null,
    [property: Id(4)] string OptionsJson = RegistryJson.EmptyObject,
    [property: Id(5)] string? Name = null)
{
    public AnalysisSpec Validated()
    {
        if (string.IsNullOrEmpty(Kind) || Kind.Length > 64 || !char.IsAsciiLetterLower(Kind[0])
            || !Kind.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            throw new ArgumentException($"analysis kind must be a lowercase word ([a-z0-9-]), got '{Kind}'");
        RegistryIds.Validate(ModelId, "model id");
        RegistryIds.ValidateOptional(DictionaryId, "dictionary id");
        if (HookPoint is not null && string.IsNullOrWhiteSpace(HookPoint)) throw new ArgumentException("hook point is empty");
        RegistryJson.ValidateObject(OptionsJson, "analysis options");
        return this;
    }

    /// <summary>Reads one option, or the default when it is absent.</summary>
    public T Option<T>(string name, T fallback)
    {
        using var doc = JsonDocument.Parse(OptionsJson);
        if (!doc.RootElement.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return fallback;
        try
        {
            return value.Deserialize<T>() ?? fallback;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"analysis option '{name}' must be a {typeof(T).Name}, got {value.GetRawText()}", e);
        }
    }
}
