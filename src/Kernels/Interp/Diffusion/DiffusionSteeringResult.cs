namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>The feature chosen to steer towards a colour at one level: its AUROC for that colour on the selection images,
/// its mean per-image peak there, and the norm of the vector added (the random control's norm too).</summary>
public sealed record ColourFeature(int Colour, string ColourName, double T, int Feature, double Auroc, double MeanPeak, double VectorNorm);

/// <summary>Success = share of generated images classified as the target colour (prompts name another colour); per colour
/// in colour order. PromptKept = share still classified as the prompt's colour. TargetProbability = the classifier's mean
/// probability of the target colour: a graded reading of the same effect, less noisy than the share on few images.</summary>
public sealed record SteeringOutcome(double Success, IReadOnlyList<double> PerColour, double PromptKept, double TargetProbability);

public sealed record SteeringWindowResult(SteeringWindow Window, int StepsSteered, SteeringOutcome Feature, SteeringOutcome Random);

/// <summary>One prompt of a target colour, drawn unsteered, feature-steered and random-steered (first window); planar RGB.</summary>
public sealed record SteeringPicture(int Colour, string Prompt, float[] Unsteered, float[] Steered, float[] Random);

/// <summary>Feature steering during sampling against its controls: the unsteered rate of the target colour on the same
/// prompts and noise, and a random direction of the same norm at the same steps.</summary>
public sealed record DiffusionSteeringResult(string Hook, IReadOnlyList<double> Levels, double Strength, int Images,
    IReadOnlyList<ColourFeature> Features, SteeringOutcome Unsteered, IReadOnlyList<SteeringWindowResult> Windows,
    IReadOnlyList<SteeringPicture> Pictures, int ImageSize)
{
    /// <summary>The headline window (the config's first).</summary>
    public SteeringWindowResult Headline => Windows[0];
}
