using MMInterp.Grains.Contracts;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Extraction;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Platform.Submissions;

/// <summary>An extraction as `mminterp extract` and POST /api/jobs/extract ask for it (the CLI's option names, snake_case in JSON).</summary>
public sealed record ExtractRequest(string Model, IReadOnlyList<string> Hooks, string Dataset = ExtractRequest.DefaultDataset, int Shards = 4,
    string? Tokens = null, string? Id = null)
{
    public const string DefaultDataset = "shapes:train:2048";

    /// <summary>What can be checked without the registry: a model and some hooks named, shards at least 1, a known token
    /// selection, a ShapesWorld spec well formed.</summary>
    public ExtractRequest Validated()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("model is required (a registered model id or name)");
        if (Hooks is null || Hooks.Count == 0 || Hooks.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("hooks must name at least one hook point");
        if (Shards < 1) throw new ArgumentException($"shards must be at least 1, got {Shards}");
        TokenSelections.Parse(Tokens);
        if (Dataset.StartsWith("shapes:", StringComparison.Ordinal))
            new ExtractionJobSpec(Model, Hooks.ToArray(), DatasetSpec.Parse(Dataset), Shards, Tokens: TokenSelections.Parse(Tokens).Stored()).Validated();
        RegistryIdsCheck.Optional(Id, "id");
        return this;
    }
}

/// <summary>The one road to an extraction job: `extract` (and `diffusion extract`) and the web API both go through here.</summary>
public static class ExtractSubmission
{
    /// <summary>The job's spec: the model must be registered; a user dataset is resolved (registered first when new).</summary>
    public static async Task<ExtractionJobSpec> SpecAsync(WorkContext w, ExtractRequest request, CancellationToken ct)
    {
        var r = request.Validated();
        // A registered id or a model's name.
        var model = (RegistryIds.IsValid(r.Model) ? await w.Registry.Models.GetAsync(r.Model, ct) : null)
                    ?? await w.Registry.Models.GetByNameAsync(r.Model, ct: ct)
                    ?? throw new ArgumentException($"model '{r.Model}' is not registered (see `mminterp models list`)");
        if (!r.Dataset.StartsWith("shapes:", StringComparison.Ordinal) && model.Family != ModelFamily.Clip && !IsLlava(model))
            throw new ArgumentException($"model '{model.Id}' is a {RegistryNames.Name(model.Family)} model; user image datasets are read by clip models and HF LLaVA (vlm) models");
        var (dataset, _) = await DatasetReference.ResolveAsync(r.Dataset, w.Artefacts, w.Registry,
            new DatasetSource(w.Registry, new ArtefactCache(w.Artefacts, w.Work())), ct);
        return new ExtractionJobSpec(model.Id, r.Hooks.ToArray(), dataset, Math.Min(r.Shards, dataset.Count), Tokens: TokenSelections.Parse(r.Tokens).Stored()).Validated();
    }

    /// <summary>An HF LLaVA registered with `models add --family vlm` (its spec says architecture llava); the zoo's own
    /// VLM reads ShapesWorld only.</summary>
    static bool IsLlava(ModelRecord model)
    {
        if (model.Family != ModelFamily.Vlm) return false;
        try { return System.Text.Json.Nodes.JsonNode.Parse(model.SpecJson)?["architecture"]?.GetValue<string>() == "llava"; }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { return false; }
    }

    public static async Task<IExtractionJobGrain> StartAsync(WorkContext w, string jobId, ExtractionJobSpec spec, CancellationToken ct)
    {
        var grain = (await w.Cluster(ct)).GetGrain<IExtractionJobGrain>(jobId);
        await grain.Start(spec);
        return grain;
    }
}
