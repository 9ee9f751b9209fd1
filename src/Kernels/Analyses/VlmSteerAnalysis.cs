using System.ComponentModel;
using MMInterp.Kernels.Interp.Vlm;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.Sae;

namespace MMInterp.Kernels.Analyses;

/// <summary>The options of <see cref="VlmSteerAnalysis"/>. The SAE is the spec's dictionary, or a stored
/// sae.safetensors (<see cref="SaeFile"/>), or one trained here on the VLM's own tower (<see cref="TrainSae"/>).</summary>
public sealed record VlmSteerOptions
{
    [Description("colour or shape")] public string Attribute { get; init; } = VlmSteeringConfig.Default.Attribute;
    [Description("held-out images steered per concept"), OptionAlias("images")] public int ImagesPerConcept { get; init; } = VlmSteeringConfig.Default.ImagesPerConcept;
    [Description("images the detecting features are chosen on")] public int SelectionImages { get; init; } = VlmSteeringConfig.Default.SelectionImages;
    [Description("clamp value as a multiple of the feature's largest activation"), OptionAlias("clamp")] public double ClampMultiple { get; init; } = VlmSteeringConfig.Default.ClampMultiple;
    [Description("random-direction control seed")] public long Seed { get; init; } = VlmSteeringConfig.Default.Seed;
    [Description("vision hook the SAE reads and the clamp writes (default: the dictionary's, else vision.blocks.0.hook_resid_post)")] public string? Hook { get; init; }
    [Description("sha256 of a stored sae.safetensors trained on the hook (instead of a registered dictionary)")] public string? SaeFile { get; init; }
    [Description("train a TopK SAE on the hook of this VLM's tower first (kept as the result's file 'sae')")] public bool TrainSae { get; init; }
    [Description("features of a trained SAE")] public int DSae { get; init; } = new VlmVisionSaeOptions().DSae;
    [Description("TopK k of a trained SAE")] public int K { get; init; } = new VlmVisionSaeOptions().K;
    [Description("steps of SAE training")] public int SaeSteps { get; init; } = new VlmVisionSaeOptions().Steps;
    [Description("user data instead of ShapesWorld (needs an HF LLaVA and an SAE on its tower; the answers are the concepts): the stored folder's artefact sha256; the CLI's --data FILE.jsonl sets it")]
    public string? Data { get; init; }
    [Description("the JSONL's path inside the stored data folder")] public string DataFile { get; init; } = "data.jsonl";
}

/// <summary>
/// Steering a VLM through its vision encoder (issue 7): per concept, clamp the SAE feature that detects it and ask the
/// question; success against an equal-norm random direction and the unsteered answers.
/// </summary>
public sealed class VlmSteerAnalysis() : Analysis<VlmSteerOptions>(Kind)
{
    public const string Kind = "vlm-steer";

    public override string Description => "steer the VLM's answer through SAE features of its vision tower, against a random-direction control";

    public override IReadOnlyList<FigureSpec> Figures { get; } =
    [
        Figure("vlm_steering_success", "share of answers turned to the clamped feature's concept", "vlm_steering_random_control", "vlm_steering_unsteered"),
        new("vlm_clean_accuracy", "accuracy on the steered pool without steering", [], ["clean_accuracy"]),
    ];

    protected override async Task<AnalysisResult> RunAsync(VlmSteerOptions o, IAnalysisInputs inputs, Action<double, string> progress, CancellationToken ct)
    {
        var sources = (inputs.DictionaryId is not null ? 1 : 0) + (o.SaeFile is not null ? 1 : 0) + (o.TrainSae ? 1 : 0);
        if (sources != 1) throw new ArgumentException($"{Kind} needs exactly one SAE: a dictionary, option 'sae_file' or option 'train_sae'");
        var result = new AnalysisResult();
        AnalysisDictionary? dictionary = inputs.DictionaryId is not null ? await inputs.DictionaryAsync(null, ct) : null;
        var hook = o.Hook ?? dictionary?.HookPoint ?? VlmSteeringConfig.Default.Hook;
        if (dictionary is not null && hook != dictionary.HookPoint)
            throw new ArgumentException($"dictionary '{dictionary.Id}' reads hook '{dictionary.HookPoint}', not '{hook}'");
        var config = (VlmSteeringConfig.Default with
        {
            Hook = hook, Attribute = o.Attribute, ImagesPerConcept = o.ImagesPerConcept, SelectionImages = o.SelectionImages,
            ClampMultiple = o.ClampMultiple, Seed = o.Seed,
        }).Validate();
        if (o.Data is not null) return (await RunOnDataAsync(o, hook, dictionary, inputs, progress, ct)).ControlsOf(Figures);
        var loaded = await inputs.VlmAsync(ct);
        using var model = loaded.Model;
        SparseAutoencoder sae;
        if (dictionary is not null) sae = dictionary.Sae;
        else if (o.SaeFile is { } sha) sae = SaeCheckpoint.LoadSae(await inputs.ArtefactAsync(sha, directory: false, ct));
        else
        {
            var train = (new VlmVisionSaeOptions() with { DSae = o.DSae, K = o.K, Steps = o.SaeSteps }).Validate();
            progress(0, $"training a TopK SAE (d_sae {train.DSae}, k {train.K}, {train.Steps} steps) on {hook}");
            (sae, var fvu) = VlmVisionSae.Train(model, hook, train, ct);
            var path = Path.Combine(inputs.WorkDirectory, "sae.safetensors");
            SaeCheckpoint.SaveSae(path, sae);
            result.Files["sae"] = path;
            result.Details["sae_fvu"] = ResultJson.Number(fvu);
        }
        using var _sae = sae;

        progress(0.3, $"steering {config.Attribute} through {config.Hook}");
        var steering = VlmSteering.Run(model, loaded.Vocabulary, sae, config, (p, note) => progress(0.3 + 0.7 * p, note), ct);
        var png = Path.Combine(inputs.WorkDirectory, "vlm_steering.png");
        VlmSteeringPng.Write(steering, png);
        result.Picture(png)
            .Figure("vlm_steering_success", steering.Success)
            .Figure("vlm_steering_random_control", steering.RandomControl)
            .Figure("vlm_steering_unsteered", steering.Baseline)
            .Figure("vlm_clean_accuracy", steering.CleanAccuracy);
        result.Details["hook"] = config.Hook;
        result.Details["attribute"] = config.Attribute;
        result.Details["trials"] = steering.Trials;
        result.Details["d_sae"] = steering.DSae;
        result.Details["concepts"] = ResultJson.Node(steering.Concepts);
        return result.ControlsOf(Figures);
    }

    /// <summary>An HF LLaVA on a user's examples (<see cref="VlmUserSteering"/>): the SAE is a dictionary or a stored
    /// file trained on the LLaVA's vision hook (training one here reads ShapesWorld, so it is refused).</summary>
    static async Task<AnalysisResult> RunOnDataAsync(VlmSteerOptions o, string hook, AnalysisDictionary? dictionary, IAnalysisInputs inputs,
        Action<double, string> progress, CancellationToken ct)
    {
        if (o.TrainSae) throw new ArgumentException($"{Kind}: train_sae trains on ShapesWorld images; with data give an SAE trained on the LLaVA's vision hook (--sae or a dictionary)");
        var (subject, model) = await VlmUserStudy.LoadAsync(Kind, o.Data!, o.DataFile, inputs, ct);
        using var _model = model;
        using var _subject = subject;
        using var sae = dictionary?.Sae ?? SaeCheckpoint.LoadSae(await inputs.ArtefactAsync(o.SaeFile!, directory: false, ct));
        progress(0.1, $"steering the answers through {hook}");
        var steering = VlmUserSteering.Run(subject, sae, hook, o.ClampMultiple, o.Seed, (p, note) => progress(0.1 + 0.9 * p, note), ct);
        var png = Path.Combine(inputs.WorkDirectory, "vlm_steering.png");
        VlmSteeringPng.Write(steering, png);
        var result = new AnalysisResult();
        result.Picture(png)
            .Figure("vlm_steering_success", steering.Success)
            .Figure("vlm_steering_random_control", steering.RandomControl)
            .Figure("vlm_steering_unsteered", steering.Baseline)
            .Figure("vlm_clean_accuracy", steering.CleanAccuracy);
        result.Details["hook"] = hook;
        result.Details["concepts_from"] = "the expected answers' first tokens; features chosen on the same examples that are steered";
        result.Details["data_file"] = o.DataFile;
        result.Details["trials"] = steering.Trials;
        result.Details["d_sae"] = steering.DSae;
        result.Details["concepts"] = ResultJson.Node(steering.Concepts);
        return result;
    }
}
