using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Platform.Submissions;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Extraction;
using MMInterp.Silo.Work;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp extract`: an ExtractionJob over accelerator silos; prints the registered activation set.</summary>
public static class ExtractCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "registered model id or name (`mminterp models list`; its hooks: `mminterp models hooks ID`)", Required = true };
        var hooks = new Option<string>("--hooks") { Description = "comma-separated hook points, e.g. vision.blocks.2.hook_resid_post; a diffusion model's are timestep keys, "
                                                        + "hook@t=LEVEL[@c=caption|half]: denoiser.blocks.3.hook_resid_post@t=0.900 reads it on the null caption, "
                                                        + "@c=caption on each image's caption, @c=half on every other image's", Required = true };
        var dataset = new Option<string>("--dataset")
        {
            Description = "shapes:split:count (e.g. shapes:train:4096), or a user dataset as SPEC|ID|NAME[:split[:count]] with SPEC images:DIR, imagefolder:DIR, "
                          + "jsonl:FILE, csv:FILE or parquet:PATH (registered first when new), split train|val|test|all (default all), count the first N of it (default all)",
            DefaultValueFactory = _ => "shapes:train:2048",
        };
        var shards = new Option<int>("--shards") { Description = "number of shards (spread over accelerator silos)", DefaultValueFactory = _ => 4 };
        var id = new Option<string?>("--job") { Description = "job id (default: a new one); re-running an id resumes it" };
        var detach = new Option<bool>("--detach") { Description = "return once started (external cluster only)" };
        var tokens = TokensOption.Create("which tokens of each image become rows (CLIP vision hooks): all, patch (the patch tokens) or cls (the class token); "
                                         + "recorded with the activation set, so a dictionary trained on it and its studies know it");
        var db = DatabaseOption.Create();
        var command = new Command("extract", "extract activations at hook points over a dataset, sharded across the cluster") { model, hooks, dataset, shards, id, detach, tokens, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            var hookList = parse.GetValue(hooks)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // ShapesWorld specs are checked before the database opens; a user dataset needs the registry to resolve.
            var request = new ExtractRequest(parse.GetValue(model)!, hookList, parse.GetValue(dataset)!, parse.GetValue(shards),
                TokensOption.Read(parse, tokens).Stored()).Validated();
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var spec = await ExtractSubmission.SpecAsync(WorkContext.Of(session), request, ct);
            var set = await RunAsync(session, parse.GetValue(id) ?? CliIds.New("extract"), spec, parse.GetValue(detach), ct);
            if (set is not null && spec.Dataset.IsRegistered) SkippedReport.Print(set.DatasetSpecJson);
            return 0;
        });
        return command;
    }

    /// <summary>Starts the extraction job and says so; unless detached, follows it to its end and returns the activation
    /// set it registered (`extract` and `diffusion extract`).</summary>
    internal static async Task<ActivationSetRecord?> RunAsync(PlatformSession session, string jobId, ExtractionJobSpec spec, bool detach, CancellationToken ct)
    {
        var grain = await ExtractSubmission.StartAsync(WorkContext.Of(session), jobId, spec, ct);
        Console.WriteLine($"extraction job {jobId}: {spec.Dataset} through {spec.ModelId} at {string.Join(", ", spec.Hooks)} in {spec.Shards} shards"
                          + (spec.Tokens is { } t ? $", {t} tokens" : ""));
        if (detach)
        {
            DetachGuard.Check(session);
            return null;
        }
        var done = await JobWatcher.FollowAsync("extract", grain.Status, ct);
        var set = await session.Registry.ActivationSets.GetAsync(done.ActivationSetId!, ct);
        Console.WriteLine($"activation set {done.ActivationSetId}: {set?.RowCount} rows per hook, {set?.ShardCount} shards");
        return set;
    }
}

/// <summary>Names the items an extraction over a user dataset skipped (from the activation set's dataset record).</summary>
static class SkippedReport
{
    public static void Print(string datasetJson)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(datasetJson);
        if (!doc.RootElement.TryGetProperty("skipped", out var n) || n.GetInt32() == 0) return;
        Console.WriteLine($"skipped {n.GetInt32()} unreadable or undecodable items:");
        foreach (var item in doc.RootElement.GetProperty("skipped_items").EnumerateArray()) Console.WriteLine($"  {item.GetString()}");
    }
}
