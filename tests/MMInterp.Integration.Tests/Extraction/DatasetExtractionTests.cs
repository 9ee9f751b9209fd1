using System.Text.Json;
using MMInterp.Grains.Contracts.Jobs;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Images;
using MMInterp.Silo.Work;
using SkiaSharp;
using TorchSharp;
using Xunit;

namespace MMInterp.Integration.Tests.Extraction;

/// <summary>
/// User datasets through the real registry (throwaway Postgres), artefact store and grains: registration is
/// idempotent by content, and a CLIP extracts over an imagefolder dataset with one corrupt image, which is skipped
/// and named in the shard outputs and the activation set's dataset record, never failing the job.
/// </summary>
public sealed class DatasetExtractionTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>
{
    internal static byte[] Png(int w, int h, byte seed)
    {
        using var bitmap = new SKBitmap(w, h);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(seed * 40 + x * 3), (byte)(y * 5), (byte)(seed * 7)));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Six images in two classes, one corrupt; <paramref name="salt"/> makes each test's content its own.</summary>
    string Tree(string name, byte salt)
    {
        var root = Path.Combine(fx.Home, name);
        foreach (var (cls, file, seed) in new[] { ("cat", "a.png", 1), ("cat", "b.png", 2), ("dog", "c.png", 3), ("dog", "d.png", 4), ("dog", "e.png", 5) })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            File.WriteAllBytes(Path.Combine(root, cls, file), Png(37 + seed, 29, (byte)(seed + salt)));
        }
        File.WriteAllText(Path.Combine(root, "cat", "corrupt.jpg"), "these bytes are no JPEG");
        return root;
    }

    [Fact]
    public async Task RegistrationIsIdempotentByContentAndBadSpecsLeaveNothing()
    {
        var one = Tree("reg-one", 10);
        var (first, created) = await DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"imagefolder:{one}", "pets");
        Assert.True(created);
        Assert.StartsWith("dataset-", first.Id);
        Assert.Equal(("imagefolder", 6), (first.Kind, first.ItemCount));
        Assert.Equal(["cat", "dog"], first.LabelNames);
        Assert.NotNull(await fx.Registry.Artefacts.GetAsync(first.ContentSha256));

        // The same files elsewhere under another name: the same dataset, nothing new.
        var copy = Path.Combine(fx.Home, "reg-copy");
        foreach (var f in Directory.EnumerateFiles(one, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(one, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        var (again, createdAgain) = await DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"imagefolder:{copy}", "pets-copy");
        Assert.False(createdAgain);
        Assert.Equal((first.Id, first.Name, first.ContentSha256, first.CreatedAt), (again.Id, again.Name, again.ContentSha256, again.CreatedAt));

        // Other content under a taken name is refused; the resolver takes ids, names and specs.
        File.WriteAllBytes(Path.Combine(copy, "dog", "f.png"), Png(9, 9, 9));
        var taken = await Assert.ThrowsAsync<ArgumentException>(() => DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"imagefolder:{copy}", "pets"));
        Assert.Contains("already registered with other content", taken.Message);
        Assert.Equal(first.Id, (await DatasetRegistration.ResolveAsync(fx.Store, fx.Registry, first.Id)).Id);
        Assert.Equal(first.Id, (await DatasetRegistration.ResolveAsync(fx.Store, fx.Registry, "pets")).Id);
        var before = (await fx.Registry.Datasets.ListAsync()).Count;
        var missing = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"images:{fx.Home}/nope"));
        Assert.DoesNotContain('\n', missing.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => DatasetRegistration.ResolveAsync(fx.Store, fx.Registry, "dataset-0000000000000000"));
        Assert.Equal(before, (await fx.Registry.Datasets.ListAsync()).Count);
    }

    [Fact]
    public async Task ClipExtractsOverAnImagefolderSkippingAndNamingTheCorruptImage()
    {
        const string hook = "vision.blocks.1.hook_resid_post";
        var root = Tree("extract", 20);
        var (record, _) = await DatasetRegistration.RegisterAsync(fx.Store, fx.Registry, $"imagefolder:{root}");
        var spec = new ExtractionJobSpec("clip-e2e", [hook], DatasetSpec.Registered(record.Id, "all", 6), Shards: 2);
        var job = fx.Cluster.Client.GetGrain<IExtractionJobGrain>("ext-dataset");
        await job.Start(spec);
        var progress = await MMInterp.Tests.JobWait.UntilFinished(job.Status, 3);
        Assert.True(progress.Phase == JobPhase.Succeeded, progress.Error);
        Assert.Equal(1, progress.Skipped);

        var outputs = await job.Outputs();
        var skipped = outputs.SelectMany(o => o.Skipped ?? []).ToList();
        Assert.Single(skipped);
        Assert.StartsWith("cat/corrupt.jpg: ", skipped[0]);

        var set = (await fx.Registry.ActivationSets.GetAsync(progress.ActivationSetId!))!;
        Assert.Equal(5L * 65, set.RowCount); // 5 good images x (64 patches + class token)
        using (var doc = JsonDocument.Parse(set.DatasetSpecJson))
        {
            Assert.Equal(record.Id, doc.RootElement.GetProperty("dataset_id").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("skipped").GetInt32());
            Assert.StartsWith("cat/corrupt.jpg", doc.RootElement.GetProperty("skipped_items")[0].GetString());
        }

        // The stored rows equal a direct run of the kernel over the local folder (the zoo checkpoint has no
        // preprocessor_config.json: unnormalised pixels at the tower's size).
        var restored = Path.Combine(fx.Home, "restored-dataset-set");
        await fx.Store.RestoreDirectoryAsync(set.IndexSha256, restored);
        var reader = new ActivationSetReader(Path.Combine(restored, hook));
        var stored = torch.cat(Enumerable.Range(0, reader.Index.Shards.Count).Select(reader.ReadShard).ToList(), 0);
        var model = ClipCheckpoint.Load(fx.ModelDir).Model;
        var local = ImageDatasets.Open($"imagefolder:{root}");
        var direct = ClipImageExtractor.Extract(model, ClipImageProcessor.ForUnnormalised(model.Config.Vision.ImageSize), local, Enumerable.Range(0, 6).ToList(), [hook]);
        Assert.Equal(5, direct.Images);
        Assert.Equal(direct.Rows[hook].shape, stored.shape);
        Assert.True(direct.Rows[hook].eq(stored).all().item<bool>(), "stored activations differ from a direct extraction");

        // The silo-side source opens the registered copy with the same items and labels.
        var source = new DatasetSource(fx.Registry, new ArtefactCache(fx.Store, new WorkOptions(Path.Combine(fx.Home, "artefacts"), Path.Combine(fx.Home, "cache-2"))));
        var opened = await source.OpenAsync(record.Id, CancellationToken.None);
        Assert.Equal(local.Items, opened.Items);
        Assert.Equal(["cat", "dog"], opened.LabelNames);
        Assert.Equal(local.Name, opened.Name);

        // A split count beyond the split is refused before any work.
        var tooMany = await Assert.ThrowsAsync<ArgumentException>(() => DatasetReference.ResolveAsync($"{record.Id}:all:7", fx.Store, fx.Registry, source, CancellationToken.None));
        Assert.Contains("has 6 items in split all", tooMany.Message);
        var resolved = await DatasetReference.ResolveAsync($"imagefolder:{root}:all", fx.Store, fx.Registry, source, CancellationToken.None);
        Assert.Equal(DatasetSpec.Registered(record.Id, "all", 6), resolved.Spec);
    }
}
