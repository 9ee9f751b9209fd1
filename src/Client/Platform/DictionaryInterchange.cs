using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Interchange;

namespace MMInterp.Client.Platform;

/// <summary>
/// Registered dictionaries to and from SAELens directories. An import is checked against the hook it is registered
/// at (its d_in must be the hook's width), stored as our own checkpoint and registered with its lineage: model, hook,
/// source "saelens import", SAELens's config as read, and what the import decided.
/// </summary>
public static class DictionaryInterchange
{
    public const string ImportSource = "saelens import";

    public sealed record Exported(string Directory, SaeKind Kind, string Architecture, bool Sidecar);

    public static async Task<Exported> ExportAsync(RegistryStore registry, ArtefactStore artefacts, string dictionaryId, string directory, CancellationToken ct)
    {
        var record = await registry.Dictionaries.GetAsync(dictionaryId, ct)
                     ?? throw new ArgumentException($"dictionary '{dictionaryId}' is not registered (see `mminterp registry list dictionaries`)");
        var path = await artefacts.GetVerifiedPathAsync(record.CheckpointSha256, ct);
        var model = await registry.Models.GetAsync(record.ModelId, ct);
        using var sae = SaeCheckpoint.LoadSae(path);
        SaeLensExporter.Export(sae, directory, new SaeLensProvenance(model?.Name ?? record.ModelId, record.HookPoint, record.Id));
        return new Exported(directory, sae.Config.Kind, SaeLensFormat.Architecture(sae.Config.Kind), SaeLensExporter.NeedsSidecar(sae));
    }

    public sealed record Imported(DictionaryRecord Dictionary, HookWidth Width, IReadOnlyList<string> Notes);

    public static async Task<Imported> ImportAsync(RegistryStore registry, ArtefactStore artefacts, string directory, string model, string hook,
        string? name, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(hook)) throw new ArgumentException("--hook is empty");
        var record = (RegistryIds.IsValid(model) ? await registry.Models.GetAsync(model, ct) : null)
                     ?? await registry.Models.GetByNameAsync(model, ct: ct)
                     ?? throw new ArgumentException($"model '{model}' is not registered (see `mminterp registry list models`)");
        var full = Path.GetFullPath(directory);
        using var imported = SaeLensImporter.Read(full);
        var sae = imported.Sae;
        var cfgPath = Path.Combine(full, SaeLensFormat.ConfigFile);
        var width = await HookWidths.ResolveAsync(registry, artefacts, record, hook, ct)
                    ?? throw new ArgumentException($"cannot tell how wide hook '{hook}' of model {record.Id} is: no activation set of that hook and no width in the model's config; run `mminterp extract --model {record.Id} --hooks {hook}` first");
        if (width.Width != sae.Config.DIn)
            throw new ArgumentException($"{cfgPath}: d_in = {sae.Config.DIn}, but hook '{hook}' of model {record.Id} is {width.Width} wide ({width.Source}); refused");
        var notes = imported.Notes.ToList();
        if (imported.Config.HookName is { } theirs && theirs != hook) notes.Add($"SAELens's hook_name is '{theirs}'; registered at '{hook}'");

        // Our own checkpoint format in the store, so every command that loads dictionaries reads it as it reads trained ones.
        var tmp = Path.Combine(Path.GetTempPath(), $"mminterp-import-{Guid.NewGuid():N}.safetensors");
        ArtefactRef stored;
        try
        {
            SaeCheckpoint.SaveSae(tmp, sae);
            stored = await artefacts.PutFileAsync(tmp, ArtefactKind.Safetensors, ct);
        }
        finally { File.Delete(tmp); }
        await registry.Artefacts.RecordAsync(stored, ct);

        var config = JsonNode.Parse(sae.Config.ToJson())!.AsObject();
        config["source"] = ImportSource;
        config["name"] = name;
        config["norm_scale"] = sae.NormScale;
        config["saelens"] = new JsonObject
        {
            ["directory"] = full,
            ["cfg"] = imported.Config.ToJson(),
            ["cfg_as_read"] = JsonNode.Parse(File.ReadAllText(cfgPath)),
            ["hook_width_from"] = width.Source,
            ["notes"] = new JsonArray(notes.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
        };
        var dictionary = await registry.Dictionaries.RegisterAsync(new NewDictionary(record.Id, hook, SaeArchitectures.Of(sae.Config.Kind),
            sae.Config.DIn, sae.Config.DSae, stored.Sha256, config.ToJsonString()), ct);
        return new Imported(dictionary, width, notes);
    }
}
