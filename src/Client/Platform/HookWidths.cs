using System.Text.Json;
using System.Text.RegularExpressions;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;

namespace MMInterp.Client.Platform;

/// <summary>The width of a hook on a registered model, and where that figure came from.</summary>
public sealed record HookWidth(int Width, string Source);

/// <summary>
/// How wide a registered model's hook is: from an activation set extracted at that hook (what an SAE there will
/// read), else, for CLIP, from the model's stored config.json (residual hooks are hidden_size wide, mlp.hook_post
/// intermediate_size). Null when neither says.
/// </summary>
public static partial class HookWidths
{
    [GeneratedRegex(@"^(vision|text)\.blocks\.(\d+)\.(hook_resid_pre|hook_resid_mid|hook_resid_post|mlp\.hook_post)$")]
    private static partial Regex ClipHook();

    public static async Task<HookWidth?> ResolveAsync(RegistryStore registry, ArtefactStore artefacts, ModelRecord model, string hook, CancellationToken ct)
    {
        foreach (var set in await registry.ActivationSets.ListAsync(model.Id, hook, limit: 10, ct: ct))
        {
            if (!artefacts.Contains(set.IndexSha256)) continue;
            var manifest = await artefacts.ReadManifestAsync(set.IndexSha256, ct);
            var entry = manifest.Entries.SingleOrDefault(e => e.Path == $"{hook}/{ActivationSetIndex.FileName}");
            if (entry is null) continue;
            var index = JsonSerializer.Deserialize<ActivationSetIndex>(await artefacts.ReadAllBytesAsync(entry.Sha256, ct));
            if (index is not null) return new HookWidth(index.D, $"activation set {set.Id}");
        }
        if (model.Family != ModelFamily.Clip || model.CheckpointSha256 is not { } sha || !artefacts.Contains(sha)) return null;
        var paths = await artefacts.GetVerifiedPathsAsync(sha, ct);
        if (!paths.TryGetValue(ClipCheckpoint.ConfigFile, out var configPath)) return null;
        var width = ClipWidth(ClipConfigJson.Read(configPath), hook);
        return width is null ? null : new HookWidth(width.Value, $"model {model.Id}'s config.json");
    }

    /// <summary>Width of a CLIP hook an SAE reads; null for hooks this does not know (attention patterns, heads).</summary>
    public static int? ClipWidth(ClipConfig config, string hook)
    {
        var m = ClipHook().Match(hook);
        if (!m.Success) return null;
        var tower = m.Groups[1].Value == "vision" ? config.Vision.Tower : config.Text.Tower;
        var layer = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (layer >= tower.NumLayers)
            throw new ArgumentException($"hook '{hook}': the {m.Groups[1].Value} tower has {tower.NumLayers} blocks (0..{tower.NumLayers - 1})");
        return m.Groups[3].Value == "mlp.hook_post" ? tower.IntermediateSize : tower.HiddenSize;
    }
}
