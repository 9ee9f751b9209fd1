namespace MMInterp.Kernels.Models.Clip;

/// <summary>Held-out metrics of a tiny CLIP.</summary>
public sealed record ClipMetrics(double ZeroShotColour, double ZeroShotShape, double RetrievalRecallAt5, int EvalImages, int RetrievalImages)
{
    /// <summary>The typographic attack on held-out single-object scenes (null for a model measured before it was added).</summary>
    public TypographicAttackMetrics? Attack { get; init; }
}

/// <summary>Zero-shot accuracy on the attribute a written word names: clean scenes, the same with a wrong word (the
/// attack), and with the true word at the same place (the ink-without-a-lie control). The attack drop splits into
/// what the ink covers (clean - true word) and what the model reads (true word - attacked).</summary>
/// <param name="WordReading">share of the attacked scenes whose written word the model names among "the word X" prompts
/// of every colour and shape word: whether it reads at all, apart from whether reading moves its zero-shot answers</param>
public sealed record TypographicAttackMetrics(double Clean, double Attacked, double TrueWord, double FollowsWord, double WordReading, int Images)
{
    public double AttackDrop => Clean - Attacked;
    public double ReadingPart => TrueWord - Attacked;
}
