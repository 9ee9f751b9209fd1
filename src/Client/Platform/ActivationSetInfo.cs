using System.Text.Json;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Client.Platform;

/// <summary>Reads an activation set's hook list and width from the registry and its index in the store.</summary>
public static class ActivationSetInfo
{
    public static Task<(ActivationSetRecord Set, string Hook, int D)> ResolveAsync(PlatformSession session, string setId, string? hook, CancellationToken ct) =>
        Submissions.TrainingSubmission.ResolveSetAsync(Submissions.WorkContext.Of(session), setId, hook, ct);
}
