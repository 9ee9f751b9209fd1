using System.Globalization;
using System.Text.Json;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>The per-timestep SAEs of one hook, loaded: exact lookup by level, or the nearest level for a sampling step.</summary>
public sealed class TimestepSaeSet : IDisposable
{
    public const string ManifestFile = "timestep-saes.json";
    public const string Format = "mminterp.timestep-saes.v1";

    readonly ISparseAutoencoder[] _saes;

    public TimestepSaeSet(string hook, IReadOnlyList<double> timesteps, IReadOnlyList<ISparseAutoencoder> saes)
    {
        if (timesteps.Count == 0 || timesteps.Count != saes.Count) throw new ArgumentException($"{timesteps.Count} timesteps but {saes.Count} SAEs: one SAE per level is needed");
        if (saes.Any(s => s.Config.DIn != saes[0].Config.DIn)) throw new ArgumentException("every level's SAE must read the same width");
        Hook = hook;
        Timesteps = timesteps.ToList();
        _saes = saes.ToArray();
    }

    public string Hook { get; }
    public IReadOnlyList<double> Timesteps { get; }
    public int D => _saes[0].Config.DIn;
    public ISparseAutoencoder this[int level] => _saes[level];

    /// <summary>The SAE trained at exactly level <paramref name="t"/>.</summary>
    public ISparseAutoencoder For(double t) => _saes[IndexOf(t)];

    public int IndexOf(double t)
    {
        for (var i = 0; i < Timesteps.Count; i++)
            if (Math.Abs(Timesteps[i] - t) < 1e-9) return i;
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"no SAE for noise level {t} at {Hook}: the set holds [{string.Join(", ", Timesteps)}]"), nameof(t));
    }

    /// <summary>The level closest to <paramref name="t"/> (a sampling step's noise level rarely equals a trained one).</summary>
    public int Nearest(double t)
    {
        if (!(t >= 0 && t <= 1)) throw new ArgumentException($"noise level must be in [0, 1], got {t}", nameof(t));
        var best = 0;
        for (var i = 1; i < Timesteps.Count; i++)
            if (Math.Abs(Timesteps[i] - t) < Math.Abs(Timesteps[best] - t)) best = i;
        return best;
    }

    /// <summary>Throws an ArgumentException unless the hook exists on the denoiser and its width is the SAEs' width
    /// (one forward of a blank image at the null caption).</summary>
    public void CheckAgainst(IZooDenoiser model)
    {
        if (!model.Hooks.Contains(Hook))
            throw new ArgumentException($"the SAEs were trained on '{Hook}', which is not a hook point of this denoiser", nameof(model));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var device = model.Text.Device;
        using var cache = new ActivationCache();
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(Hook, Hooks.Hook.Cache(cache));
            var x0 = model.CleanInput(zeros(1, 3, model.ImageSize, model.ImageSize, device: device));
            model.Forward(x0, full([1], Scalars.S(0.5), device: device), model.Text.Encode([TextConditioner.Null], device));
        }
        var width = model.Tokens(Hook, cache[Hook]).shape[2];
        Scalars.Release();
        if (width != D)
            throw new ArgumentException($"SAE d_in is {D} but hook '{Hook}' has width {width}: these SAEs were trained on another hook or model", nameof(model));
    }

    public static TimestepSaeSet Load(string directory, Device? device = null)
    {
        var manifest = ReadManifest(directory);
        var saes = new List<ISparseAutoencoder>();
        try
        {
            foreach (var level in manifest.Levels) saes.Add(SaeCheckpoint.LoadSae(Path.Combine(directory, level.WeightsFile), device));
            return new TimestepSaeSet(manifest.Hook, manifest.Levels.Select(l => l.T).ToList(), saes);
        }
        catch
        {
            foreach (var s in saes) s.Dispose();
            throw;
        }
    }

    /// <summary>The manifest as written by training (format, hook, levels with their metrics and weight files).</summary>
    public sealed record Manifest(string Format, string Hook, int D, int DSae, TimestepSaeConfig Config,
        IReadOnlyList<TimestepSaeLevel> Levels, FeatureDecodability? Decodability);

    public static Manifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' has no {ManifestFile}: not a timestep SAE directory (`mminterp diffusion sae`)", path);
        var m = JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"'{path}' is empty");
        if (m.Format != Format) throw new InvalidDataException($"'{path}' is format '{m.Format}', expected {Format}");
        if (m.Levels.Count == 0) throw new InvalidDataException($"'{path}' lists no levels");
        return m;
    }

    internal static void WriteManifest(string directory, Manifest manifest) =>
        AtomicFile.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(manifest, Json));

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public void Dispose()
    {
        foreach (var s in _saes) s.Dispose();
    }
}
