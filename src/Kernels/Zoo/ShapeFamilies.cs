using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// Training batches with hard negatives for shape: the first families*size entries form families, each a scene and
/// copies of it whose first object has another shape (all shapes distinct within a family); the rest are plain
/// scenes. Inside a family the captions differ only in the shape word, so the contrastive loss can only be lowered
/// by telling shapes apart. Deterministic in (seed, step).
/// </summary>
public static class ShapeFamilies
{
    public static int FamilyCount(int batchSize, double share, int size) => (int)(batchSize * share) / size;

    public static bool InFamily(int position, int batchSize, double share, int size) => position < size * FamilyCount(batchSize, share, size);

    /// <param name="keepWords">members keep the head's written word (when captions name it, so they still differ only in
    /// the shape word); otherwise they carry none, as a word naming the old shape would be an unnamed attack</param>
    public static List<Scene> Batch(ShapesWorldGenerator world, long seed, int step, int batchSize, double share, int size, bool keepWords = false)
    {
        if (size < 2 || size > AttributeWords.Shapes.Length)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"family size must be in [2, {AttributeWords.Shapes.Length}]");
        var families = FamilyCount(batchSize, share, size);
        var first = (long)step * batchSize;
        var scenes = new List<Scene>(batchSize);
        for (var f = 0; f < families; f++)
        {
            var scene = world.Scene(seed, first + f);
            scenes.Add(scene);
            scenes.AddRange(Variants(scene, size - 1, keepWords));
        }
        for (var i = size * families; i < batchSize; i++) scenes.Add(world.Scene(seed, first + i));
        return scenes;
    }

    /// <summary>Copies of the scene with object 0 given each of <paramref name="count"/> other shapes, picked from the
    /// scene's own stream.</summary>
    public static IEnumerable<Scene> Variants(Scene scene, int count, bool keepWords = false)
    {
        var rng = new SplitMix64(scene.Seed ^ 0x7777_1234_5678_9ABCL, scene.Index);
        var o = scene.Objects[0];
        var n = AttributeWords.Shapes.Length;
        // Offsets from the scene's shape, drawn without replacement (the first draw is the one pairs always used).
        var offsets = Enumerable.Range(1, n - 1).ToList();
        for (var i = 0; i < count; i++)
        {
            var pick = rng.Below(offsets.Count);
            var shape = (Shape)(((int)o.Shape + offsets[pick]) % n);
            offsets.RemoveAt(pick);
            var objects = scene.Objects.ToList();
            objects[0] = o with { Shape = shape };
            // A kept word stays where it was; whether it now names another value than the object's is recomputed.
            var overlay = keepWords && scene.Overlay is { } w ? w with { IsAttack = w.Value != objects[w.ObjectIndex].Value(w.Attribute) } : null;
            yield return scene with { Objects = objects, Overlay = overlay };
        }
    }
}
