using System.Text.Json;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Client.Platform;

/// <summary>Reads an activation set's hook list and width from the registry and its index in the store.</summary>
public static class ActivationSetInfo
{
    public static async Task<(ActivationSetRecord Set, string Hook, int D)> ResolveAsync(PlatformSession session, string setId, string? hook, CancellationToken ct)
    {
        var set = await session.Registry.ActivationSets.GetAsync(setId, ct)
                  ?? throw new ArgumentException($"activation set '{setId}' is not registered (see `mminterp registry list activations`)");
        var chosen = hook ?? set.HookPoints[0];
        if (!set.HookPoints.Contains(chosen))
            throw new ArgumentException($"activation set '{setId}' has no hook '{chosen}'; it has {string.Join(", ", set.HookPoints)}");
        var manifest = await session.Artefacts.ReadManifestAsync(set.IndexSha256, ct);
        var entry = manifest.Entries.SingleOrDefault(e => e.Path == $"{chosen}/{ActivationSetIndex.FileName}")
                    ?? throw new InvalidDataException($"activation set '{setId}' has no index for '{chosen}'");
        var index = JsonSerializer.Deserialize<ActivationSetIndex>(await session.Artefacts.ReadAllBytesAsync(entry.Sha256, ct))
                    ?? throw new InvalidDataException($"activation set '{setId}': index for '{chosen}' is empty");
        return (set, chosen, index.D);
    }
}
