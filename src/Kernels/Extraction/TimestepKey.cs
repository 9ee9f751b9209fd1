using System.Globalization;

namespace MMInterp.Kernels.Extraction;

/// <summary>Diffusion activations are keyed by (hook, noise level, caption conditioning):
/// "denoiser.blocks.1.hook_resid_post@t=0.500" reads the denoiser on the null caption (the default, so keys written before
/// conditioning could be chosen keep their meaning), "...@t=0.500@c=caption" on each image's caption, "...@t=0.500@c=half"
/// on every other image's caption (<see cref="CaptionConditioning"/>). The key is the activation set's hook name, so a set
/// carries its timestep and conditioning wherever it goes, into its dictionaries' lineage too.</summary>
public readonly record struct TimestepKey(string Hook, double T, CaptionConditioning Conditioning = CaptionConditioning.Null)
{
    const string Level = "@t=", Condition = "@c=";
    const string Form = "hook@t=0.500, optionally followed by @c=caption or @c=half";

    public string Name => string.Create(CultureInfo.InvariantCulture, $"{Hook}{Level}{T:0.000}{Suffix(Condition)}");

    /// <summary>A directory name for the set: hook/t0.500 (null caption), hook/t0.500-caption.</summary>
    public string RelativeDirectory => Path.Combine(Hook, string.Create(CultureInfo.InvariantCulture, $"t{T:0.000}{Suffix("-")}"));

    public override string ToString() => Name;

    string Suffix(string separator) => Conditioning == CaptionConditioning.Null ? "" : separator + CaptionConditionings.Word(Conditioning);

    /// <summary>The advertised form of <paramref name="hook"/>'s keys: "hook@t=T[@c=caption|half]".</summary>
    public static string Template(string hook) => $"{hook}{Level}T[{Condition}{string.Join('|', CaptionConditionings.KeyWords)}]";

    /// <summary>Reads a key written as <see cref="Name"/> writes it (the level may have any number of digits); a
    /// FormatException naming the key and the problem otherwise.</summary>
    public static TimestepKey Parse(string name)
    {
        var at = name.IndexOf(Level, StringComparison.Ordinal);
        if (at <= 0) throw new FormatException($"'{name}' is not a timestep key ({Form})");
        var hook = name[..at];
        if (hook.Contains('@'))
            throw new FormatException($"'{name}': the noise level comes right after the hook and the conditioning after it ({Form})");
        var level = name[(at + Level.Length)..];
        var conditioning = CaptionConditioning.Null;
        var c = level.IndexOf(Condition, StringComparison.Ordinal);
        if (c >= 0)
        {
            conditioning = CaptionConditionings.FromKeyWord(level[(c + Condition.Length)..], name);
            level = level[..c];
        }
        if (!double.TryParse(level, NumberStyles.Float, CultureInfo.InvariantCulture, out var t))
            throw new FormatException($"'{name}': the noise level '{level}' is not a number ({Form})");
        return new TimestepKey(hook, t, conditioning);
    }

    /// <summary><see cref="Parse"/> that says false instead of throwing (for directory names that may not be keys).</summary>
    public static bool TryParse(string name, out TimestepKey key)
    {
        try
        {
            key = Parse(name);
            return true;
        }
        catch (FormatException)
        {
            key = default!;
            return false;
        }
    }
}
