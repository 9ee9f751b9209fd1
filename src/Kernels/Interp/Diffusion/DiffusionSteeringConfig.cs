namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>The sampling steps a steer acts on: those whose noise level t lies in [From, To] (1 = pure noise).</summary>
public sealed record SteeringWindow(string Name, double From, double To)
{
    public bool Contains(double t) => t >= From - 1e-9 && t <= To + 1e-9;

    public static SteeringWindow All { get; } = new("all", 0, 1);
    public static SteeringWindow Early { get; } = new("early", 0.5, 1);
    public static SteeringWindow Late { get; } = new("late", 0, 0.45);
}

public sealed record DiffusionSteeringConfig
{
    /// <summary>Prompts per target colour; each names another colour (held-out scenes).</summary>
    public int PromptsPerColour { get; init; } = 16;
    /// <summary>Captioned held-out images per level on which each colour's best-detecting feature is chosen (AUROC).</summary>
    public int SelectionImages { get; init; } = 256;
    /// <summary>The value added along the feature's decoder direction, in units of the feature's mean per-image peak
    /// activation on images of its colour.</summary>
    public double Strength { get; init; } = 4.0;
    /// <summary>Step windows compared; the first is the headline figure.</summary>
    public IReadOnlyList<SteeringWindow> Windows { get; init; } = [SteeringWindow.All, SteeringWindow.Early, SteeringWindow.Late];
    public long Seed { get; init; } = 7_000_003;
    /// <summary>Euler steps per sample; 0 = the model's own.</summary>
    public int SampleSteps { get; init; } = 0;
    public int BatchSize { get; init; } = 64;
    /// <summary>Prompts per colour kept as pictures (unsteered, steered, random).</summary>
    public int Pictured { get; init; } = 3;

    /// <summary>Throws an ArgumentException naming the first bad field.</summary>
    public DiffusionSteeringConfig Validate()
    {
        if (PromptsPerColour < 1) throw new ArgumentException($"PromptsPerColour must be positive, got {PromptsPerColour}", nameof(PromptsPerColour));
        if (SelectionImages < 16) throw new ArgumentException($"SelectionImages must be at least 16, got {SelectionImages}", nameof(SelectionImages));
        if (!double.IsFinite(Strength) || Strength <= 0) throw new ArgumentException($"Strength must be a positive finite number, got {Strength}", nameof(Strength));
        if (Windows.Count == 0) throw new ArgumentException("Windows must hold at least one window", nameof(Windows));
        foreach (var w in Windows)
            if (!(w.From >= 0 && w.To <= 1 && w.From <= w.To) || string.IsNullOrWhiteSpace(w.Name))
                throw new ArgumentException($"Windows: '{w.Name}' [{w.From}, {w.To}] must be a named range within [0, 1]", nameof(Windows));
        if (Windows.Select(w => w.Name).Distinct().Count() != Windows.Count) throw new ArgumentException("Windows must have distinct names", nameof(Windows));
        if (SampleSteps < 0 || SampleSteps > 1000) throw new ArgumentException($"SampleSteps must be in [0, 1000], got {SampleSteps}", nameof(SampleSteps));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be positive, got {BatchSize}", nameof(BatchSize));
        if (Pictured < 0 || Pictured > PromptsPerColour) throw new ArgumentException($"Pictured must be in [0, PromptsPerColour={PromptsPerColour}], got {Pictured}", nameof(Pictured));
        return this;
    }
}
