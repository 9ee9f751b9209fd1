using MMInterp.Kernels.Interp.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A text-to-image denoiser, extracted per (hook, noise level): hook names are timestep keys such as
/// "denoiser.blocks.1.hook_resid_post@t=0.500" (<see cref="TimestepKey"/>), so every activation set carries its
/// timestep. Images are held-out single-object scenes noised to each level, conditioned on the null caption
/// (<see cref="TimestepActivations"/>); rows are tokens.
/// </summary>
public sealed class DiffusionActivationModel(DiffusionBundle bundle) : IActivationModel
{
    public DiffusionBundle Bundle { get; } = bundle;
    public string Family => "diffusion";

    public IReadOnlyList<string> HookNames => Bundle.Denoiser.Hooks.Names
        .Where(n => !n.EndsWith("hook_pattern", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal).Select(n => $"{n}@t=T").ToList();

    public long ParameterCount => Bundle.Denoiser.parameters().Sum(p => p.numel());

    public Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks)
    {
        if (count < 1) throw new ArgumentException($"extraction count must be positive, got {count}");
        var keys = hooks.Select(h =>
        {
            try { return TimestepKey.Parse(h); }
            catch (FormatException e) { throw new ArgumentException($"diffusion hooks name a noise level: {e.Message}, e.g. {HookNames[0].Replace("@t=T", "@t=0.500", StringComparison.Ordinal)}", e); }
        }).ToList();
        var config = new TimestepExtractionConfig
        {
            Hooks = keys.Select(k => k.Hook).Distinct().ToList(),
            Timesteps = keys.Select(k => k.T).Distinct().ToList(),
            Seed = seed, Start = start, Images = count,
        }.Validate(Bundle.Denoiser);
        // Keys compare by their canonical name, so "@t=0.5" asks for the set "@t=0.500".
        var asked = new Dictionary<string, string>();
        for (var i = 0; i < hooks.Count; i++)
            if (!asked.TryAdd(keys[i].Name, hooks[i])) throw new ArgumentException($"hooks '{asked[keys[i].Name]}' and '{hooks[i]}' name the same set");
        using var rows = new HookRows.Buffer(hooks);
        TimestepActivations.Run(Bundle, config, (key, a, _) =>
        {
            // The run covers every (hook, t) pair of the request's hooks and levels; keep only the pairs asked for.
            if (asked.TryGetValue(key.Name, out var hook)) rows.Add(hook, a);
        });
        return rows.Concat();
    }

    public void Dispose() => Bundle.Dispose();
}
