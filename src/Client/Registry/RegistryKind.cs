namespace MMInterp.Client.Registry;

/// <summary>The kinds of registry rows the CLI lists and shows.</summary>
public enum RegistryKind { Models, Activations, Dictionaries, Runs, Experiments, Artefacts }

public static class RegistryKinds
{
    /// <summary>The words accepted on the command line: plural (as in 'list models') and singular ('show model x').</summary>
    public static readonly string[] Words =
        ["models", "model", "activations", "activation", "dictionaries", "dictionary", "runs", "run", "experiments", "experiment", "artefacts", "artefact"];

    public static RegistryKind Parse(string word) => word.ToLowerInvariant() switch
    {
        "models" or "model" => RegistryKind.Models,
        "activations" or "activation" => RegistryKind.Activations,
        "dictionaries" or "dictionary" => RegistryKind.Dictionaries,
        "runs" or "run" => RegistryKind.Runs,
        "experiments" or "experiment" => RegistryKind.Experiments,
        "artefacts" or "artefact" => RegistryKind.Artefacts,
        _ => throw new ArgumentException($"unknown registry kind '{word}' (expected one of: {string.Join(", ", Words.Where((_, i) => i % 2 == 0))})"),
    };

    /// <summary>The singular word, as the registry's annotations name the kind.</summary>
    public static string Word(RegistryKind kind) => kind switch
    {
        RegistryKind.Models => "model",
        RegistryKind.Activations => "activation",
        RegistryKind.Dictionaries => "dictionary",
        RegistryKind.Runs => "run",
        RegistryKind.Experiments => "experiment",
        RegistryKind.Artefacts => "artefact",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
