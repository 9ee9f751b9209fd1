using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Typographic;

/// <summary>Single-object scenes with a wrong word (colour or shape) and the same scenes without it.</summary>
public static class AttackScenes
{
    public static ShapesWorldGenerator Generator(int imageSize) =>
        new(new ShapesWorldConfig { ImageSize = imageSize, MinObjects = 1, MaxObjects = 1, OverlayRate = 1, AttackRate = 1 });

    public static (IReadOnlyList<Scene> Attacked, IReadOnlyList<Scene> Clean) Pairs(ShapesWorldGenerator world, long seed, int count)
    {
        if (world.Config.OverlayRate != 1 || world.Config.AttackRate != 1)
            throw new ArgumentException("attack scenes need a world with OverlayRate = AttackRate = 1 (use AttackScenes.Generator)", nameof(world));
        var attacked = Enumerable.Range(0, count).Select(i => world.Scene(seed, i)).ToList();
        return (attacked, attacked.Select(s => s with { Overlay = null }).ToList());
    }

    /// <summary>The same scenes with the word replaced by the one naming the object's true value, drawn at the same
    /// place: the ink-without-a-lie control. An attack that lowers accuracy as much as a true word does works through
    /// the ink covering the image, not through reading.</summary>
    public static IReadOnlyList<Scene> TrueWordTwins(IReadOnlyList<Scene> attacked) => attacked.Select(s => s.WithTrueWord()).ToList();
}
