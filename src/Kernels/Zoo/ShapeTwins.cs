using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Zoo;

/// <summary>Training batches with hard negatives for shape: the first twins*2 entries are pairs (scene, same scene
/// with its first object's shape changed); the rest are plain scenes. Deterministic in (seed, step).</summary>
public static class ShapeTwins
{
    public static int PairCount(int batchSize, double share) => (int)(batchSize * share) / 2;

    public static bool IsTwinned(int position, int batchSize, double share) => position < 2 * PairCount(batchSize, share);

    public static List<Scene> Batch(ShapesWorldGenerator world, long seed, int step, int batchSize, double share)
    {
        var pairs = PairCount(batchSize, share);
        var first = (long)step * batchSize;
        var scenes = new List<Scene>(batchSize);
        for (var p = 0; p < pairs; p++)
        {
            var scene = world.Scene(seed, first + p);
            scenes.Add(scene);
            scenes.Add(Twin(scene));
        }
        for (var i = 2 * pairs; i < batchSize; i++) scenes.Add(world.Scene(seed, first + i));
        return scenes;
    }

    /// <summary>The same scene with object 0 given a different shape (chosen from the scene's own stream).</summary>
    public static Scene Twin(Scene scene)
    {
        var rng = new SplitMix64(scene.Seed ^ 0x7777_1234_5678_9ABCL, scene.Index);
        var o = scene.Objects[0];
        var shape = (Shape)(((int)o.Shape + 1 + rng.Below(AttributeWords.Shapes.Length - 1)) % AttributeWords.Shapes.Length);
        var objects = scene.Objects.ToList();
        objects[0] = o with { Shape = shape };
        // A word naming the old shape would now be an attack; twins carry no word.
        return scene with { Objects = objects, Overlay = null };
    }
}
