using MMInterp.Grains.Registry;
using MMInterp.Kernels.Checkpoints;

namespace MMInterp.Silo.Work;

/// <summary>
/// The one model resolver: a registered model becomes a local directory through the <see cref="ArtefactCache"/>
/// (one layout, {cache root}/dirs/{checkpoint manifest sha256}, restored to a temp dir and renamed into place), whether
/// a silo loads it for extraction or analysis, a zoo build starts from it, or a CLI command reads `--model ID`.
/// </summary>
public sealed class ModelDirectories(RegistryStore registry, ArtefactCache cache)
{
    /// <summary>The registered model when its checkpoint is in the artefact store (what a zoo build's cache hit needs).</summary>
    public async Task<ModelRecord?> BuiltAsync(string modelId, CancellationToken ct) =>
        await registry.Models.GetAsync(modelId, ct) is { CheckpointSha256: { } sha } model && cache.Store.Contains(sha) ? model : null;

    /// <summary>A registered model of <paramref name="family"/> (any family when null) and its local directory.</summary>
    /// <param name="needs">Ends the wrong-family error, e.g. "this analysis needs a vlm model".</param>
    public async Task<(ModelRecord Model, string Directory)> ResolveAsync(string modelId, ModelFamily? family, CancellationToken ct, string? needs = null)
    {
        var record = await registry.Models.GetAsync(modelId, ct) ?? throw new ArgumentException($"model '{modelId}' is not registered");
        if (family is { } f && record.Family != f)
            throw new ArgumentException($"model '{modelId}' is a {RegistryNames.Name(record.Family)} model; {needs ?? $"this needs a {RegistryNames.Name(f)} model"}");
        if (record.CheckpointSha256 is null) throw new ArgumentException($"model '{modelId}' has no checkpoint");
        return (record, await cache.DirectoryAsync(record.CheckpointSha256, ct));
    }

    /// <summary>Where attribute oracles for pipelines are kept (the silo's cache).</summary>
    public AttributeOracleCache Oracles => cache.Oracles;

    /// <summary>The directory of a registered model of <paramref name="family"/>.</summary>
    public async Task<string> DirectoryAsync(string modelId, ModelFamily? family, CancellationToken ct, string? needs = null) =>
        (await ResolveAsync(modelId, family, ct, needs)).Directory;
}
