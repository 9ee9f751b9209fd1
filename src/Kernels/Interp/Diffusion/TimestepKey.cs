using System.Globalization;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>Diffusion activations are keyed by (hook, noise level): "denoiser.blocks.1.hook_resid_post@t=0.500". The key is
/// the activation set's hook name, so a set carries its timestep wherever it goes.</summary>
public readonly record struct TimestepKey(string Hook, double T)
{
    public string Name => string.Create(CultureInfo.InvariantCulture, $"{Hook}@t={T:0.000}");
    /// <summary>A directory name for the set: hook/t0.500.</summary>
    public string RelativeDirectory => Path.Combine(Hook, string.Create(CultureInfo.InvariantCulture, $"t{T:0.000}"));

    public override string ToString() => Name;

    public static TimestepKey Parse(string name)
    {
        var at = name.LastIndexOf("@t=", StringComparison.Ordinal);
        if (at <= 0 || !double.TryParse(name.AsSpan(at + 3), NumberStyles.Float, CultureInfo.InvariantCulture, out var t))
            throw new FormatException($"'{name}' is not a timestep key (hook@t=0.500)");
        return new TimestepKey(name[..at], t);
    }
}
