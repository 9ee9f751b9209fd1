using System.Text.Json;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Platform;

/// <summary>
/// The registered model a study command's --model names: a registry id or name, or a model directory, which is stored
/// and registered first (id <c>FAMILY-dir-HASH</c> from its content, so the same directory registers once).
/// </summary>
public static class StudyModels
{
    public static async Task<string> ResolveAsync(PlatformSession session, string model, ModelFamily family, CancellationToken ct, string flag = "--model")
    {
        if (Directory.Exists(model)) return await RegisterDirectoryAsync(session, model, family, flag, ct);
        if (model.Contains('/') || model.Contains('\\')) throw new ArgumentException($"{flag}: directory '{model}' not found");
        var record = (RegistryIds.IsValid(model) ? await session.Registry.Models.GetAsync(model, ct) : null)
                     ?? await session.Registry.Models.GetByNameAsync(model, ct: ct)
                     ?? throw new ArgumentException($"{flag} '{model}' is neither a directory nor a registered model (mminterp models list)");
        if (record.Family != family)
            throw new ArgumentException($"{flag} '{model}' is a {RegistryNames.Name(record.Family)} model; this needs a {RegistryNames.Name(family)} model");
        return record.Id;
    }

    static async Task<string> RegisterDirectoryAsync(PlatformSession session, string directory, ModelFamily family, string flag, CancellationToken ct)
    {
        directory = Path.GetFullPath(directory);
        if (family == ModelFamily.Vlm && !VlmCheckpoint.IsVlmDirectory(directory) && File.Exists(Path.Combine(directory, LlavaCheckpoint.ConfigFile)))
            return await RegisterLlavaAsync(session, directory, ct);
        if (family == ModelFamily.Diffusion && StableDiffusionDirectory.IsPipelineDirectory(directory))
            return await RegisterPipelineAsync(session, directory, ct);
        var marker = family switch
        {
            ModelFamily.Vlm => VlmCheckpoint.IsVlmDirectory(directory) ? null : "vlm_config.json",
            // The zoo DiT (diffusion.json) or the zoo U-Net (zoo.json beside unet/).
            ModelFamily.Diffusion => ZooDenoiserCheckpoint.IsDenoiserDirectory(directory) ? null
                : $"{DiffusionCheckpoint.ConfigFile}, nor {UNetZooCheckpoint.ZooFile} beside {UNetZooCheckpoint.UNetFolder}/, nor a diffusers {StableDiffusionDirectory.IndexFile}",
            _ => File.Exists(Path.Combine(directory, "config.json")) ? null : "config.json",
        };
        if (marker is not null)
            throw new ArgumentException($"{flag}: '{directory}' is not a {RegistryNames.Name(family)} model directory (no {marker}{(family == ModelFamily.Vlm ? " and no HF LLaVA config.json" : "")})");
        var manifest = await session.Artefacts.PutDirectoryAsync(directory, ct);
        var id = $"{RegistryNames.Name(family)}-dir-{manifest.Sha256[..12]}";
        var name = $"{Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar))} ({manifest.Sha256[..12]})";
        var spec = JsonSerializer.Serialize(new { source = "directory", source_dir = directory });
        var record = await ModelRegistration.RegisterDirectoryFromManifestAsync(session.Artefacts, session.Registry, id, name, family, manifest, spec, ct);
        Console.WriteLine($"model directory {directory} is registered model {record.Id}");
        return record.Id;
    }

    /// <summary>A diffusers pipeline directory, registered as `models add DIR --family diffusion` does (the files a load
    /// reads; the same files again are the model registered from them).</summary>
    static async Task<string> RegisterPipelineAsync(PlatformSession session, string directory, CancellationToken ct)
    {
        var registered = await ForeignModelRegistration.RegisterDiffusionAsync(session.Artefacts, session.Registry, directory,
            Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar)), ct);
        Console.WriteLine($"pipeline directory {directory} is {(registered.AlreadyRegistered ? "" : "now ")}registered model {registered.Model.Id}");
        return registered.Model.Id;
    }

    /// <summary>An HF LLaVA directory, registered as `models add DIR --family vlm` does (under the directory's name);
    /// the same directory again is the model registered from it.</summary>
    static async Task<string> RegisterLlavaAsync(PlatformSession session, string directory, CancellationToken ct)
    {
        var name = Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar));
        if (await session.Registry.Models.GetByNameAsync(name, ct: ct) is { Family: ModelFamily.Vlm } known
            && JsonDocument.Parse(known.SpecJson).RootElement.TryGetProperty("source_dir", out var source) && source.GetString() == directory)
            return known.Id;
        var registered = await ForeignModelRegistration.RegisterLlavaAsync(session.Artefacts, session.Registry, directory, name, ct);
        Console.WriteLine($"LLaVA directory {directory} is registered model {registered.Model.Id}");
        return registered.Model.Id;
    }
}
