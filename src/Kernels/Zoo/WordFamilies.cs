using MMInterp.Kernels.Images;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// Training batches with hard negatives for reading: a family is a scene that carries a word and copies of it whose
/// word names other values of the same attribute, at the same place. Inside a family the captions differ only in the
/// written word, so the contrastive loss can only be lowered by reading it; without families the objects already tell
/// worded scenes apart and the model never learns to read (it named the written word at chance, 0.01-0.05, after 1200
/// steps at widths 64 and 96). Deterministic in (seed, step).
/// </summary>
public static class WordFamilies
{
    /// <summary>Families of <paramref name="size"/> worded scenes, drawn from <paramref name="worded"/> (a world whose every
    /// scene carries a word) at indices after the rest of the step's scenes.</summary>
    public static IEnumerable<Scene> Families(ShapesWorldGenerator worded, long seed, int step, int batchSize, int families, int size)
    {
        if (worded.Config.OverlayRate != 1) throw new ArgumentException("word families need a world whose every scene carries a word", nameof(worded));
        // Indices past the step's own batch so the families never repeat its plain scenes.
        var first = (long)step * batchSize * 2 + batchSize;
        for (var f = 0; f < families; f++)
        {
            var scene = worded.Scene(seed, first + f);
            yield return scene;
            foreach (var v in Variants(scene, size - 1, worded.Config.ImageSize)) yield return v;
        }
    }

    /// <summary>Copies of the scene with its word replaced by <paramref name="count"/> other values of the same attribute,
    /// picked from the scene's own stream; a longer word moves left so that it still fits.</summary>
    public static IEnumerable<Scene> Variants(Scene scene, int count, int imageSize)
    {
        var w = scene.Overlay ?? throw new ArgumentException($"scene {scene.Seed}/{scene.Index} has no word", nameof(scene));
        var words = AttributeWords.Words(w.Attribute);
        if (count >= words.Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"a {w.Attribute} word family has at most {words.Length} members");
        var rng = new SplitMix64(scene.Seed ^ 0x5EED_0F_0DDL, scene.Index);
        var offsets = Enumerable.Range(1, words.Length - 1).ToList();
        var truth = scene.Objects[w.ObjectIndex].Value(w.Attribute);
        var scale = BitmapFont.Scale(imageSize);
        for (var i = 0; i < count; i++)
        {
            var pick = rng.Below(offsets.Count);
            var value = (w.Value + offsets[pick]) % words.Length;
            offsets.RemoveAt(pick);
            var x = Math.Max(0, Math.Min(w.X, imageSize - BitmapFont.Width(words[value]) * scale));
            yield return scene with { Overlay = w with { Word = words[value], Value = value, IsAttack = value != truth, X = x } };
        }
    }
}
