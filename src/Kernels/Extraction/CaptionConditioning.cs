using System.Text.Json.Serialization;

namespace MMInterp.Kernels.Extraction;

/// <summary>The text a denoiser is conditioned on while its activations are read. Null: the empty prompt, so whatever the
/// activations know about the image came through the noisy pixels. Caption: each image's own caption. Half: images with
/// an even index get their caption, odd ones the null caption: each image once, half and half, as classifier-free
/// guidance runs both (and as `diffusion sae` trains).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CaptionConditioning>))]
public enum CaptionConditioning { Null, Caption, Half }

/// <summary>How a conditioning is written in a timestep key ("@c=caption") and which images it captions.</summary>
public static class CaptionConditionings
{
    /// <summary>The words a key may carry after "@c="; the null caption is the default and has no word (one name per set).</summary>
    public static IReadOnlyList<string> KeyWords { get; } = Written.Select(Word).ToList();

    static IEnumerable<CaptionConditioning> Written => Enum.GetValues<CaptionConditioning>().Where(c => c != CaptionConditioning.Null);

    public static string Word(CaptionConditioning c) => c switch
    {
        CaptionConditioning.Null => "null",
        CaptionConditioning.Caption => "caption",
        CaptionConditioning.Half => "half",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown caption conditioning"),
    };

    /// <summary>What the denoiser was conditioned on, for messages: "conditioned on {Describe(c)}".</summary>
    public static string Describe(CaptionConditioning c) => c switch
    {
        CaptionConditioning.Null => "the null caption",
        CaptionConditioning.Caption => "each image's caption",
        CaptionConditioning.Half => "every other image's caption",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown caption conditioning"),
    };

    /// <summary>The conditioning a key's "@c=" word names; a FormatException naming <paramref name="key"/> otherwise.</summary>
    public static CaptionConditioning FromKeyWord(string word, string key)
    {
        if (word == Word(CaptionConditioning.Null))
            throw new FormatException($"'{key}': the null caption is the default, so its key has no @c= part; drop '@c=null'");
        foreach (var c in Written)
            if (word == Word(c)) return c;
        throw new FormatException($"'{key}': '{word}' is not a caption conditioning; write "
                                  + string.Join(" or ", Written.Select(c => $"@c={Word(c)} ({Describe(c)})")) + ", or no @c= part for the null caption");
    }

    /// <summary>Whether image <paramref name="index"/> of the split is captioned. The index is the split's, not the batch's,
    /// so a sharded extraction conditions each image as an unsharded one does.</summary>
    public static bool IsCaptioned(this CaptionConditioning c, long index) => c switch
    {
        CaptionConditioning.Null => false,
        CaptionConditioning.Caption => true,
        CaptionConditioning.Half => index % 2 == 0,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "unknown caption conditioning"),
    };
}
