using MMInterp.Kernels.Artefacts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MMInterp.Grains.Registry;

/// <summary>
/// Registers the registry and the artefact store as singletons, for grains to take in their constructors.
/// An earlier registration (a test's own) is kept.
/// </summary>
public static class RegistryServices
{
    public static IServiceCollection AddRegistryStore(this IServiceCollection services, string connectionString)
    {
        var store = RegistryStore.Create(connectionString); // checks the syntax now, at startup, not at first use
        services.TryAddSingleton(_ => store); // via a factory, so the container disposes it (closing the pool)
        return services;
    }

    public static IServiceCollection AddArtefactStore(this IServiceCollection services, string root)
    {
        services.TryAddSingleton(_ => new ArtefactStore(root));
        return services;
    }
}
