using MMInterp.Kernels.Models.Diffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A text-to-image denoiser, extracted per (hook, noise level, conditioning): hook names are timestep keys such as
/// "denoiser.blocks.1.hook_resid_post@t=0.500" (null caption) or "...@t=0.500@c=caption" (<see cref="TimestepKey"/>),
/// so every activation set carries its timestep and the text it was read under. Images are held-out single-object
/// scenes noised to each level (<see cref="TimestepActivations"/>); rows are tokens.
/// </summary>
public sealed class DiffusionActivationModel(IZooDenoiser model) : IActivationModel
{
    public IZooDenoiser Model { get; } = model;
    public string Family => "diffusion";

    public IReadOnlyList<string> HookNames => Extractable.Select(TimestepKey.Template).ToList();

    /// <summary>Per-token hooks; attention patterns are not rows.</summary>
    IEnumerable<string> Extractable => Model.Hooks.Names
        .Where(n => !n.EndsWith("hook_pattern", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    public long ParameterCount => Model.ParameterCount;

    public Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks) =>
        Extract(seed, start, count, hooks, TokenSelection.All, null);

    /// <summary>With <paramref name="prompts"/>, captioned keys (@c=caption, @c=half) read the user's prompts in turn
    /// instead of each image's caption; a null-caption key reads no text either way.</summary>
    public Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks, TokenSelection tokens, IReadOnlyList<string>? prompts)
    {
        if (tokens != TokenSelection.All) throw new ArgumentException($"tokens '{tokens.Name()}' applies to CLIP vision hooks; a {Family} model extracts all tokens");
        if (count < 1) throw new ArgumentException($"extraction count must be positive, got {count}");
        var keys = hooks.Select(ParseKey).ToList();
        // Keys compare by their canonical name, so "@t=0.5" asks for the set "@t=0.500".
        var asked = new Dictionary<string, string>();
        for (var i = 0; i < hooks.Count; i++)
            if (!asked.TryAdd(keys[i].Name, hooks[i])) throw new ArgumentException($"hooks '{asked[keys[i].Name]}' and '{hooks[i]}' name the same set");
        // One denoiser run per conditioning (the text is an input of the forward pass); all validated before any runs.
        var runs = keys.GroupBy(k => k.Conditioning).Select(g => new TimestepExtractionConfig
        {
            Hooks = g.Select(k => k.Hook).Distinct().ToList(),
            Timesteps = g.Select(k => k.T).Distinct().ToList(),
            Seed = seed, Start = start, Images = count, Conditioning = g.Key, Prompts = prompts,
        }.Validate(Model.Hooks)).ToList();
        using var rows = new HookRows.Buffer(hooks);
        foreach (var config in runs)
            TimestepActivations.Run(Model, config, (key, a, _) =>
            {
                // A run covers every (hook, t) pair of its keys' hooks and levels; keep only the pairs asked for.
                if (asked.TryGetValue(key.Name, out var hook)) rows.Add(hook, a);
            });
        return rows.Concat();
    }

    TimestepKey ParseKey(string hook)
    {
        try { return TimestepKey.Parse(hook); }
        catch (FormatException e)
        {
            var example = new TimestepKey(Extractable.First(), 0.5, CaptionConditioning.Caption).Name;
            throw new ArgumentException($"diffusion hooks are timestep keys: {e.Message}; e.g. {example} (drop @c=caption for the null caption)", e);
        }
    }

    public void Dispose() => Model.Dispose();
}
