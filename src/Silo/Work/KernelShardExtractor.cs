using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Grains.ExtractionJobs;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Silo.Work;

/// <summary>
/// Extraction on this silo: runs the model (CLIP, VLM or diffusion, see <see cref="ModelCache"/>) over the shard's ShapesWorld images, or a
/// CLIP over the shard's items of a registered user dataset (<see cref="DatasetSource"/>), and stores one
/// safetensors file per hook in the artefact store. Content addressing makes a re-run write nothing new.
/// Finalising writes, per hook, an activation-set index over the shard files, stores the whole set as one
/// manifest ("hook/index.json", "hook/shard-NNNNN.safetensors") and registers it under the job's id.
/// </summary>
public sealed class KernelShardExtractor(ModelCache models, ArtefactCache artefacts, RegistryStore registry, WorkOptions options, DatasetSource datasets) : IShardExtractor
{
    /// <summary>At most this many skipped items are named in an activation set's dataset record (all are counted).</summary>
    public const int SkippedNamesKept = 1000;

    public async Task<ShardOutput> ExtractAsync(ShardAssignment a, string silo, DeviceSlot slot, CancellationToken ct)
    {
        // The model is loaded once per device; shards holding different slots of a silo run on their own copies.
        var model = await models.GetAsync(a.Spec.ModelId, slot.Device, ct);
        var user = a.Spec.Dataset.IsRegistered ? await UserItemsAsync(a, model, ct) : default;
        var seed = user.Dataset is null ? ShapesSplits.Seed(a.Spec.Dataset.Split) : 0;
        IReadOnlyList<SkippedImage> skipped = [];
        var scratch = Path.Combine(options.CacheRoot, "scratch", $"{a.JobId}-{a.Index}-{a.Attempt}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            Dictionary<string, Tensor> rows;
            await model.Gate.WaitAsync(ct);
            try
            {
                // Tensor work leaves the grain scheduler so the silo keeps answering while a shard runs.
                if (user.Dataset is null)
                    rows = await Task.Run(() => model.Model.Extract(seed, a.Start, a.Count, a.Spec.Hooks, a.Spec.TokenSelection, a.Spec.Prompts), ct);
                else
                {
                    // Undecodable or unreadable items are skipped and named: they never fail the shard.
                    var images = (IImageActivationModel)model.Model;
                    var result = await Task.Run(() => images.ExtractImages(user.Dataset, user.Indices!, a.Spec.Hooks, a.Spec.TokenSelection), ct);
                    rows = result.Rows;
                    skipped = result.Skipped;
                }
            }
            finally
            {
                model.Gate.Release();
            }

            var byHook = new Dictionary<string, string>();
            long rowCount = 0;
            foreach (var (hook, tensor) in rows)
            {
                using (tensor)
                {
                    var path = Path.Combine(scratch, $"{Sanitize(hook)}.safetensors");
                    SafeTensors.Save(path, new Dictionary<string, Tensor> { [ActivationSetIndex.TensorName] = tensor }, new Dictionary<string, string>
                    {
                        ["hook"] = hook, ["model"] = a.Spec.ModelId, ["dataset"] = a.Spec.Dataset.ToString(),
                        ["start"] = a.Start.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["count"] = a.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["skipped"] = skipped.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    });
                    var stored = await artefacts.Store.PutFileAsync(path, ArtefactKind.Safetensors, ct);
                    await registry.Artefacts.RecordAsync(stored, ct);
                    byHook[hook] = stored.Sha256;
                    rowCount = tensor.shape[0];
                }
            }
            return new ShardOutput(a.Index, byHook, (int)rowCount, silo, Skipped: skipped.Select(x => x.ToString()).ToList());
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The registered dataset and the items [start, start+count) of the shard's split.</summary>
    async Task<(IImageDataset? Dataset, IReadOnlyList<int>? Indices)> UserItemsAsync(ShardAssignment a, ModelCache.LoadedModel model, CancellationToken ct)
    {
        var spec = a.Spec.Dataset;
        if (model.Model is not IImageActivationModel)
            throw new ArgumentException($"model '{a.Spec.ModelId}' is a {model.Model.Family} model; registered image datasets are read by clip models and HF LLaVA (vlm) models");
        var dataset = await datasets.OpenAsync(spec.DatasetId!, ct);
        var split = DatasetSplits.Indices(dataset, spec.Split);
        if (a.Start + a.Count > split.Count)
            throw new ArgumentException($"dataset {spec.DatasetId} split {spec.Split} has {split.Count} items; shard {a.Index} asks for items {a.Start}..{a.Start + a.Count - 1}");
        return (dataset, split.Skip(a.Start).Take(a.Count).ToList());
    }

    public async Task<string> FinalizeAsync(string jobId, ExtractionJobSpec spec, IReadOnlyList<ShardOutput> outputs, CancellationToken ct)
    {
        var entries = new List<ManifestEntry>();
        long totalRows = 0;
        foreach (var hook in spec.Hooks)
        {
            var shards = new List<ActivationShard>();
            var d = 0;
            foreach (var o in outputs.OrderBy(o => o.Index))
            {
                var sha = o.ArtefactByHook[hook];
                // Only the header is read here. The shard hashed this file as it stored it, and whoever restores the
                // set verifies every file; re-hashing all shards here put work proportional to the whole set on the
                // job's critical path, after the last shard.
                var path = artefacts.Store.PathOf(sha);
                if (!File.Exists(path)) throw new ArtefactNotFoundException(sha, artefacts.Store.Root);
                var header = SafeTensors.ReadHeader(path);
                var shape = header.Entries[ActivationSetIndex.TensorName].Shape;
                d = (int)shape[1];
                var name = $"shard-{o.Index:D5}.safetensors";
                shards.Add(new ActivationShard(name, shape[0], sha));
                entries.Add(new ManifestEntry($"{Sanitize(hook)}/{name}", sha, new FileInfo(path).Length, ArtefactKind.Safetensors.Name));
            }
            var index = new ActivationSetIndex { HookName = hook, D = d, ShardRows = shards.Max(s => s.Rows), Shards = shards, Tokens = spec.TokenSelection.Stored() };
            var stored = await artefacts.Store.PutAsync(System.Text.Encoding.UTF8.GetBytes(index.ToJson()), ArtefactKind.Json, ct);
            await registry.Artefacts.RecordAsync(stored, ct);
            entries.Add(new ManifestEntry($"{Sanitize(hook)}/{ActivationSetIndex.FileName}", stored.Sha256, stored.Size, ArtefactKind.Json.Name));
            totalRows += index.TotalRows;
        }
        var manifest = await artefacts.Store.PutAsync(new ArtefactManifest(entries).ToJsonBytes(), ArtefactKind.Manifest, ct);
        await registry.Artefacts.RecordAsync(manifest, ct);

        var setId = $"actset-{jobId}";
        if (await registry.ActivationSets.GetAsync(setId, ct) is { } existing)
        {
            // A finalisation retried after a crash: the same job always yields the same manifest.
            if (existing.IndexSha256 != manifest.Sha256)
                throw new InvalidOperationException($"activation set {setId} is registered with a different index ({existing.IndexSha256[..12]}...)");
            return setId;
        }
        var dataset = spec.Dataset.IsRegistered ? UserDatasetJson(spec, outputs)
            : JsonSerializer.Serialize(new { world = spec.Dataset.World, split = spec.Dataset.Split, count = spec.Dataset.Count, seed = ShapesSplits.Seed(spec.Dataset.Split) });
        dataset = ActivationSetTokens.Record(dataset, spec.TokenSelection);
        await registry.ActivationSets.RegisterAsync(new NewActivationSet(spec.ModelId, spec.Hooks, dataset, spec.Shards, totalRows / spec.Hooks.Count,
            manifest.Sha256, ExtractionRunId: jobId, Id: setId), ct);
        return setId;
    }

    /// <summary>A registered dataset's record in the activation set: which items went in and which were skipped.</summary>
    static string UserDatasetJson(ExtractionJobSpec spec, IReadOnlyList<ShardOutput> outputs)
    {
        var skipped = outputs.OrderBy(o => o.Index).SelectMany(o => o.Skipped ?? []).ToList();
        return JsonSerializer.Serialize(new
        {
            world = spec.Dataset.World, dataset_id = spec.Dataset.DatasetId, split = spec.Dataset.Split, count = spec.Dataset.Count,
            images = spec.Dataset.Count - skipped.Count, skipped = skipped.Count, skipped_items = skipped.Take(SkippedNamesKept).ToList(),
        });
    }

    /// <summary>Hook names are dotted identifiers (diffusion ones end in "@t=0.500"); keep them as directory names as they are.</summary>
    public static string Sanitize(string hook) =>
        hook.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '=') ? hook : throw new ArgumentException($"hook name '{hook}' has characters not allowed in a path");
}
