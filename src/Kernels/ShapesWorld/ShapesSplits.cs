namespace MMInterp.Kernels.ShapesWorld;

/// <summary>Named dataset splits are ShapesWorld seeds. train is the zoo's training seed and val its evaluation seed,
/// so analyses on val never see a training image.</summary>
public static class ShapesSplits
{
    public const long Train = 0;
    public const long Val = 1_000_003;
    public const long Test = 2_000_003;

    public static long Seed(string split) => split switch
    {
        "train" => Train,
        "val" => Val,
        "test" => Test,
        _ => throw new ArgumentException($"unknown ShapesWorld split '{split}': expected train, val or test"),
    };
}
