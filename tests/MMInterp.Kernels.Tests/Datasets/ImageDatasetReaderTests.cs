using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using SkiaSharp;
using Xunit;

namespace MMInterp.Kernels.Tests.Datasets;

public sealed class ImageDatasetReaderTests : IDisposable
{
    readonly string _dir = TestImages.TempDir("datasets");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string P(string relative) => Path.Combine(_dir, relative);

    [Fact]
    public void Images_spec_lists_recursively_in_ordinal_order_and_skips_other_files()
    {
        TestImages.Write(P("pics/b.png"), TestImages.Encode(3, 3, 1, 2, 3));
        TestImages.Write(P("pics/a/z.jpg"), TestImages.Encode(3, 3, 1, 2, 3, SKEncodedImageFormat.Jpeg));
        TestImages.Write(P("pics/a/y.WEBP"), TestImages.Encode(3, 3, 1, 2, 3, SKEncodedImageFormat.Webp));
        TestImages.Write(P("pics/.cache/hidden.png"), TestImages.Encode(3, 3, 1, 2, 3));
        File.WriteAllText(P("pics/notes.txt"), "not an image");
        var ds = ImageDatasets.Open($"images:{P("pics")}");
        Assert.Equal(["a/y.WEBP", "a/z.jpg", "b.png"], ds.Items.Select(i => i.Key));
        Assert.Empty(ds.LabelNames);
        Assert.All(ds.Items, i => Assert.Null(i.Label));
        Assert.Equal(3, ds.Decode(2).Width);
    }

    [Fact]
    public void Imagefolder_labels_are_sorted_class_folders_and_a_corrupt_image_is_named()
    {
        TestImages.Write(P("tree/dog/1.png"), TestImages.Encode(4, 4, 9, 9, 9));
        TestImages.Write(P("tree/cat/1.png"), TestImages.Encode(4, 4, 9, 9, 9));
        TestImages.Write(P("tree/cat/deep/2.png"), TestImages.Encode(4, 4, 9, 9, 9));
        File.WriteAllText(P("tree/dog/broken.jpg"), "garbage");
        Directory.CreateDirectory(P("tree/empty"));
        var ds = ImageDatasets.Open($"imagefolder:{P("tree")}");
        Assert.Equal(["cat", "dog"], ds.LabelNames);
        Assert.Equal(["cat/1.png", "cat/deep/2.png", "dog/1.png", "dog/broken.jpg"], ds.Items.Select(i => i.Key));
        Assert.Equal([0, 0, 1, 1], ds.Items.Select(i => i.Label!.Value));
        var e = Assert.Throws<ImageDecodeException>(() => ds.Decode(3));
        Assert.Equal("dog/broken.jpg", e.Key);
        Assert.StartsWith("dog/broken.jpg: ", e.Message);
    }

    [Fact]
    public void Csv_and_jsonl_read_image_caption_and_label_columns_relative_to_the_file()
    {
        TestImages.Write(P("t/img/a.png"), TestImages.Encode(2, 2, 1, 1, 1));
        TestImages.Write(P("t/img/b.png"), TestImages.Encode(2, 2, 1, 1, 1));
        File.WriteAllText(P("t/data.csv"), "file,text,class\nimg/a.png,\"a red, round thing\",zebra\nimg/b.png,plain,ant\nimg/missing.png,gone,ant\n");
        var csv = ImageDatasets.Open($"csv:{P("t/data.csv")}");
        Assert.Equal(["img/a.png", "img/b.png", "img/missing.png"], csv.Items.Select(i => i.Key));
        Assert.Equal("a red, round thing", csv.Items[0].Caption);
        Assert.Equal(["ant", "zebra"], csv.LabelNames);
        Assert.Equal([1, 0, 0], csv.Items.Select(i => i.Label!.Value));
        Assert.Equal(["data.csv", "img/a.png", "img/b.png"], csv.Files.Select(f => f.RelativePath)); // what storing takes
        var e = Assert.Throws<ImageDecodeException>(() => csv.Decode(2));
        Assert.Equal("img/missing.png: no such file", e.Message);

        File.WriteAllText(P("t/data.jsonl"), "{\"image\": \"img/b.png\", \"caption\": \"x\", \"label\": 10}\n\n{\"image\": \"img/a.png\", \"label\": 9}\n");
        var jsonl = ImageDatasets.Open($"jsonl:{P("t/data.jsonl")}");
        Assert.Equal(["9", "10"], jsonl.LabelNames); // integer labels sort numerically
        Assert.Equal([1, 0], jsonl.Items.Select(i => i.Label!.Value));
        Assert.Null(jsonl.Items[1].Caption);
    }

    [Fact]
    public void Bad_specs_and_files_give_one_line_errors_naming_them()
    {
        Assert.Contains("KIND:PATH", Assert.Throws<ArgumentException>(() => ImageDatasetSpec.Parse("nothing")).Message);
        Assert.Contains("'tar' is unknown", Assert.Throws<ArgumentException>(() => ImageDatasetSpec.Parse("tar:/x")).Message);
        Assert.Contains("no such directory", Assert.Throws<DirectoryNotFoundException>(() => ImageDatasetSpec.Parse($"images:{P("nope")}")).Message);
        Assert.Contains("no such file", Assert.Throws<FileNotFoundException>(() => ImageDatasetSpec.Parse($"csv:{P("nope.csv")}")).Message);
        File.WriteAllText(P("bad.csv"), "name,caption\na.png,x\n");
        var e = Assert.Throws<InvalidDataException>(() => ImageDatasets.Open($"csv:{P("bad.csv")}"));
        Assert.Contains(P("bad.csv"), e.Message);
        Assert.Contains("no image column", e.Message);
        File.WriteAllText(P("bad.jsonl"), "{\"image\": \"a.png\"}\n{oops\n");
        Assert.Contains("line 2", Assert.Throws<InvalidDataException>(() => ImageDatasets.Open($"jsonl:{P("bad.jsonl")}")).Message);
        File.WriteAllText(P("escape.csv"), "image\n../x.png\n");
        Assert.Contains("inside it", Assert.Throws<InvalidDataException>(() => ImageDatasets.Open($"csv:{P("escape.csv")}")).Message);
        Directory.CreateDirectory(P("emptydir"));
        Assert.Contains("no jpg/png", Assert.Throws<InvalidDataException>(() => ImageDatasets.Open($"images:{P("emptydir")}")).Message);
        File.WriteAllText(P("fake.parquet"), "not parquet at all");
        Assert.Contains(P("fake.parquet"), Assert.Throws<InvalidDataException>(() => ImageDatasets.Open($"parquet:{P("fake.parquet")}")).Message);
    }

    [Fact]
    public async Task Parquet_in_hf_layout_gives_images_text_and_class_label_names()
    {
        var rows = new List<ParquetFixtures.Row>
        {
            new(TestImages.Encode(5, 4, 10, 20, 30), "a.png", "first", 1),
            new(TestImages.Encode(6, 4, 10, 20, 30, SKEncodedImageFormat.Jpeg), "b.jpg", "second", 0),
            new("garbage"u8.ToArray(), "c.png", "third", 2),
        };
        await ParquetFixtures.WriteAsync(P("hf/data/train-00000-of-00002.parquet"), rows, ["airplane", "bird", "cat"]);
        await ParquetFixtures.WriteAsync(P("hf/data/train-00001-of-00002.parquet"), [new(TestImages.Encode(2, 2, 0, 0, 0), "d.png", "fourth", 2)], ["airplane", "bird", "cat"]);
        var file = ImageDatasets.Open($"parquet:{P("hf/data/train-00000-of-00002.parquet")}");
        Assert.Equal(3, file.Items.Count);
        var ds = ImageDatasets.Open($"parquet:{P("hf")}");
        Assert.Equal(["airplane", "bird", "cat"], ds.LabelNames);
        Assert.Equal(["data/train-00000-of-00002.parquet#0", "data/train-00000-of-00002.parquet#1", "data/train-00000-of-00002.parquet#2", "data/train-00001-of-00002.parquet#0"],
            ds.Items.Select(i => i.Key));
        Assert.Equal(["first", "second", "third", "fourth"], ds.Items.Select(i => i.Caption));
        Assert.Equal([1, 0, 2, 2], ds.Items.Select(i => i.Label!.Value));
        Assert.Equal((5, 4), (ds.Decode(0).Width, ds.Decode(0).Height));
        Assert.Equal(6, ds.Decode(1).Width);
        Assert.Equal(2, ds.Decode(3).Width);
        var e = Assert.Throws<ImageDecodeException>(() => ds.Decode(2));
        Assert.StartsWith("data/train-00000-of-00002.parquet#2: ", e.Message);
    }

    [Fact]
    public void Splits_are_deterministic_by_key_and_partition_the_dataset()
    {
        for (var i = 0; i < 60; i++) TestImages.Write(P($"many/{i:D3}.png"), TestImages.Encode(1, 1, (byte)i, 0, 0));
        var ds = ImageDatasets.Open($"images:{P("many")}");
        var splits = new[] { "train", "val", "test" }.ToDictionary(s => s, s => DatasetSplits.Indices(ds, s));
        Assert.Equal(60, splits.Values.Sum(s => s.Count));
        Assert.Equal(Enumerable.Range(0, 60), splits.Values.SelectMany(s => s).Order());
        Assert.InRange(splits["train"].Count, 36, 56);
        Assert.Equal(60, DatasetSplits.Indices(ds, "all").Count);
        // The split of an item depends on its key alone: a bigger dataset keeps every old item where it was.
        TestImages.Write(P("many/000a.png"), TestImages.Encode(1, 1, 0, 0, 0));
        var grown = ImageDatasets.Open($"images:{P("many")}");
        foreach (var (name, indices) in splits)
            Assert.Equal(indices.Select(i => ds.Items[i].Key), DatasetSplits.Indices(grown, name).Select(i => grown.Items[i].Key).Where(k => k != "000a.png"));
        Assert.Throws<ArgumentException>(() => DatasetSplits.Indices(ds, "holdout"));
    }

    [Fact]
    public async Task Stored_datasets_reopen_identically_and_hash_by_content_not_location()
    {
        TestImages.Write(P("one/cat/1.png"), TestImages.Encode(4, 4, 1, 2, 3));
        TestImages.Write(P("one/dog/2.png"), TestImages.Encode(4, 4, 4, 5, 6));
        File.WriteAllText(P("one/dog/3.jpg"), "corrupt");
        CopyTree(P("one"), P("two"));
        var store = new ArtefactStore(P("store"));
        var a = await DatasetStorage.StoreAsync(store, ImageDatasets.Open($"imagefolder:{P("one")}"));
        var b = await DatasetStorage.StoreAsync(store, ImageDatasets.Open($"imagefolder:{P("two")}"));
        Assert.Equal(a.Manifest.Sha256, b.Manifest.Sha256);
        Assert.Equal(3, a.Items);
        File.WriteAllBytes(P("two/dog/2.png"), TestImages.Encode(4, 4, 7, 7, 7));
        var c = await DatasetStorage.StoreAsync(store, ImageDatasets.Open($"imagefolder:{P("two")}"));
        Assert.NotEqual(a.Manifest.Sha256, c.Manifest.Sha256);

        await store.RestoreDirectoryAsync(a.Manifest.Sha256, P("restored"));
        var back = DatasetStorage.OpenRestored(P("restored"));
        var original = ImageDatasets.Open($"imagefolder:{P("one")}");
        Assert.Equal(original.Items, back.Items);
        Assert.Equal(original.LabelNames, back.LabelNames);
        Assert.Equal(original.Decode(1).Pixels, back.Decode(1).Pixels);
    }

    [Fact]
    public async Task Stored_csv_and_parquet_datasets_reopen_with_the_same_items()
    {
        TestImages.Write(P("c/img/a.png"), TestImages.Encode(3, 3, 1, 2, 3));
        File.WriteAllText(P("c/list.csv"), "path,label\nimg/a.png,x\nimg/gone.png,y\n");
        await ParquetFixtures.WriteAsync(P("p/part-0.parquet"), [new(TestImages.Encode(2, 2, 1, 1, 1), "a.png", "t", 0)], ["only"]);
        var store = new ArtefactStore(P("store"));
        foreach (var spec in new[] { $"csv:{P("c/list.csv")}", $"parquet:{P("p")}", $"parquet:{P("p/part-0.parquet")}" })
        {
            var original = ImageDatasets.Open(spec);
            var stored = await DatasetStorage.StoreAsync(store, original);
            var target = P($"restored-{Guid.NewGuid():N}");
            await store.RestoreDirectoryAsync(stored.Manifest.Sha256, target);
            var back = DatasetStorage.OpenRestored(target);
            Assert.Equal(original.Items, back.Items);
            Assert.Equal(original.LabelNames, back.LabelNames);
            Assert.Equal(original.Decode(0).Pixels, back.Decode(0).Pixels);
        }
    }

    static void CopyTree(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }
}
