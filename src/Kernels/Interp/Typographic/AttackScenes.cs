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
}
