using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Platform.Submissions;

/// <summary>An analysis as the `analyze` and study commands and POST /api/jobs/analyze ask for it: its kind (see
/// `AnalysisCatalog`), the registered dictionary it studies (its model and hook come from the registry) or the model,
/// and its options object (the analysis' option names).</summary>
public sealed record AnalyzeRequest(string Kind, string? Model = null, string? Dictionary = null, JsonObject? Options = null, string? Name = null, string? Id = null)
{
    public AnalyzeRequest Validated()
    {
        if (string.IsNullOrWhiteSpace(Kind)) throw new ArgumentException($"kind is required; known: {string.Join(", ", AnalysisCatalog.Kinds)}");
        AnalysisCatalog.Get(Kind);
        if (Model is null && Dictionary is null) throw new ArgumentException("name a dictionary (its model and hook come from the registry) or a model");
        RegistryIdsCheck.Optional(Id, "id");
        return this;
    }
}

/// <summary>The one road to an experiment: the CLI's study commands (through <see cref="ExperimentRunner"/>) and the web API.</summary>
public static class AnalysisSubmission
{
    /// <summary>The spec of a request: a dictionary must be registered (and of the model, when both are named); a model
    /// without a dictionary must be registered; the options must be ones the analysis reads.</summary>
    public static async Task<AnalysisSpec> SpecAsync(WorkContext w, AnalyzeRequest request, CancellationToken ct)
    {
        var r = request.Validated();
        string modelId;
        string? hook = null;
        if (r.Dictionary is { } dictionaryId)
        {
            var dictionary = await w.Registry.Dictionaries.GetAsync(dictionaryId, ct)
                             ?? throw new ArgumentException($"dictionary '{dictionaryId}' is not registered (see `mminterp registry list dictionaries`)");
            if (r.Model is not null && r.Model != dictionary.ModelId)
                throw new ArgumentException($"dictionary '{dictionaryId}' belongs to model '{dictionary.ModelId}', not '{r.Model}'");
            (modelId, hook) = (dictionary.ModelId, dictionary.HookPoint);
        }
        else
        {
            modelId = (await w.Registry.Models.GetAsync(r.Model!, ct))?.Id
                      ?? throw new ArgumentException($"model '{r.Model}' is not registered (see `mminterp registry list models`)");
        }
        var spec = new AnalysisSpec(r.Kind, modelId, r.Dictionary, hook, (r.Options ?? []).ToJsonString(), r.Name);
        return Checked(spec);
    }

    /// <summary>The options checked as the analysis will read them and the spec validated: a bad option fails here, before the cluster.</summary>
    public static AnalysisSpec Checked(AnalysisSpec spec)
    {
        AnalysisCatalog.Get(spec.Kind).OptionSet.Check(spec.OptionsJson);
        return spec.Validated();
    }

    public static async Task<IExperimentGrain> StartAsync(WorkContext w, string experimentId, AnalysisSpec spec, CancellationToken ct)
    {
        var grain = (await w.Cluster(ct)).GetGrain<IExperimentGrain>(experimentId);
        await grain.Start(spec.Validated());
        return grain;
    }
}
