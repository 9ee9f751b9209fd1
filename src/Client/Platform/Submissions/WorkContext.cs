using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Platform.Submissions;

/// <summary>
/// What submitting work needs, whichever surface submits it: the registry, the artefact store, the local work
/// directories (read only to resolve a user dataset) and the cluster. The CLI builds it from its session, the web
/// server from its services, so both submit through the same <c>*Submission</c> classes.
/// </summary>
public sealed record WorkContext(RegistryStore Registry, ArtefactStore Artefacts, Func<WorkOptions> Work, Func<CancellationToken, Task<IClusterClient>> Cluster)
{
    public static WorkContext Of(PlatformSession session) => new(session.Registry, session.Artefacts, () => session.Work, session.ClusterAsync);
}
