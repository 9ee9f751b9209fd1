using MMInterp.Grains.Dictionaries;
using MMInterp.Grains.Experiments;
using MMInterp.Grains.ExtractionJobs;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Models;
using MMInterp.Grains.Registry;
using MMInterp.Grains.TrainingRuns;
using MMInterp.Grains.ZooBuilds;
using MMInterp.Kernels.Artefacts;
using MMInterp.Silo.Work.Analysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MMInterp.Silo.Work;

public static class WorkServices
{
    /// <summary>
    /// The kernel-backed services grains call on this silo: artefact store, registry, model resolver and cache, shard
    /// extraction, SAE training, zoo builds and run recording. Tests may register their own implementations first; these do not replace them.
    /// </summary>
    public static IServiceCollection AddMMInterpWork(this IServiceCollection services, string connectionString, WorkOptions? options = null)
    {
        options ??= WorkOptions.FromEnvironment();
        services.TryAddSingleton(options);
        services.AddArtefactStore(options.ArtefactRoot);
        services.AddRegistryStore(connectionString);
        services.TryAddSingleton<ArtefactCache>();
        services.TryAddSingleton<ModelDirectories>();
        services.TryAddSingleton<ModelCache>();
        services.TryAddSingleton<DatasetSource>();
        services.TryAddSingleton<IModelHost>(sp => sp.GetRequiredService<ModelCache>());
        services.TryAddSingleton<IDictionaryHost, DictionaryHost>();
        services.TryAddSingleton<IRunRecorder, RegistryRunRecorder>();
        services.TryAddSingleton<IShardExtractor, KernelShardExtractor>();
        services.TryAddSingleton<KernelPackTrainingExecutor>();
        services.TryAddSingleton<IPackTrainingExecutor>(sp => sp.GetRequiredService<KernelPackTrainingExecutor>());
        services.TryAddSingleton<ITrainingExecutor, KernelTrainingExecutor>();
        services.TryAddSingleton<IZooBuilder, KernelZooBuilder>();
        services.TryAddSingleton<IExperimentRecorder, RegistryExperimentRecorder>();
        services.TryAddSingleton<IAnalysisExecutor, KernelAnalysisExecutor>();
        return services;
    }
}
