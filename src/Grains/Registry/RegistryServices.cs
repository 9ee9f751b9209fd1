using MMInterp.Kernels.Artefacts;
using Microsoft.Extensions.DependencyInjection;

namespace MMInterp.Grains.Registry;

/// <summary>Registers the registry and the artefact store as singletons, for grains to take in their constructors.</summary>
public static class RegistryServices
{
    public static IServiceCollection AddRegistryStore(this IServiceCollection services, string connectionString)
    {
        var store = RegistryStore.Create(connectionString); // checks the syntax now, at startup, not at first use
        return services.AddSingleton(_ => store); // via a factory, so the container disposes it (closing the pool)
    }

    public static IServiceCollection AddArtefactStore(this IServiceCollection services, string root) =>
        services.AddSingleton(new ArtefactStore(root));
}
