namespace MMInterp.Kernels.Models.Llava;

/// <summary>
/// The image token in a prompt's ids. llava-hf's processor writes one copy per image feature; a prompt from the chat
/// template holds one per image. <see cref="Expand"/> accepts both: one copy per image is widened to the features'
/// count, the full count is kept, anything else is a one-line error (as HF refuses features and tokens that differ).
/// </summary>
public static class LlavaImageTokens
{
    /// <summary><paramref name="ids"/> with each image's token repeated <paramref name="featuresPerImage"/> times.</summary>
    public static long[] Expand(IReadOnlyList<long> ids, long imageTokenId, int images, int featuresPerImage)
    {
        var count = ids.Count(i => i == imageTokenId);
        if (count == images * featuresPerImage) return ids.ToArray();
        if (count != images)
            throw new ArgumentException($"the prompt holds {count} image token(s) (id {imageTokenId}) for {images} image(s): expected one per image " +
                                        $"or {featuresPerImage} per image (the processor's expansion)");
        var expanded = new List<long>(ids.Count + images * (featuresPerImage - 1));
        foreach (var id in ids)
        {
            if (id == imageTokenId) expanded.AddRange(Enumerable.Repeat(imageTokenId, featuresPerImage));
            else expanded.Add(id);
        }
        return expanded.ToArray();
    }

    /// <summary>Sequence positions of the image token, in order.</summary>
    public static int[] Positions(IReadOnlyList<long> ids, long imageTokenId) =>
        Enumerable.Range(0, ids.Count).Where(i => ids[i] == imageTokenId).ToArray();
}
