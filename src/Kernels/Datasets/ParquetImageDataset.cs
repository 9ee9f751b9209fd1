using System.Text.Json.Nodes;
using MMInterp.Kernels.Images;
using Parquet;
using Parquet.Schema;

namespace MMInterp.Kernels.Datasets;

/// <summary>
/// <c>parquet:PATH</c>: a Hugging Face dataset's parquet file, or a directory of them (all *.parquet under it, in
/// ordinal order of relative path), read with Parquet.Net. The image column is HF's Image feature, a struct
/// {bytes, path} (found by the "huggingface" schema metadata, else the first struct with a binary "bytes" field);
/// text comes from text|caption, labels from label|labels|class. ClassLabel names come from the "huggingface"
/// metadata when present; otherwise integer labels are named by their value and string labels sorted.
/// Item keys are "file.parquet#row". Image bytes are read one row group at a time when decoding.
/// </summary>
public sealed class ParquetImageDataset : FileImageDataset
{
    static readonly string[] TextColumns = ["text", "caption"];
    static readonly string[] LabelColumns = ["label", "labels", "class"];

    readonly List<ImageItem> _items = [];
    readonly List<DatasetFile> _files = [];
    readonly List<(int File, int RowGroup, int Row)> _where = [];
    readonly List<string> _imageColumns = [];
    readonly object _gate = new();
    (int File, int RowGroup, byte[]?[] Bytes)? _cached;

    public ParquetImageDataset(ImageDatasetSpec spec)
    {
        if (spec.Kind != ImageDatasetKind.Parquet) throw new ArgumentException($"{spec} is not a parquet dataset");
        Spec = spec;
        if (File.Exists(spec.Path))
        {
            Root = System.IO.Path.GetDirectoryName(spec.Path)!;
            Entry = System.IO.Path.GetFileName(spec.Path);
            _files.Add(new DatasetFile(Entry, spec.Path));
        }
        else if (Directory.Exists(spec.Path))
        {
            Root = spec.Path;
            Entry = ".";
            _files.AddRange(Directory.EnumerateFiles(Root, "*.parquet", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                .Select(f => new DatasetFile(Relative(Root, f), f))
                .Where(f => !f.RelativePath.Split('/').Any(p => p.StartsWith('.')))
                .OrderBy(f => f.RelativePath, StringComparer.Ordinal));
            if (_files.Count == 0) throw new InvalidDataException($"dataset {spec}: no .parquet file under it");
        }
        else throw new FileNotFoundException($"dataset {spec}: no such file or directory", spec.Path);

        List<string>? classNames = null;
        var rawLabels = new List<(int Item, string Value)>();
        for (var f = 0; f < _files.Count; f++)
        {
            var file = _files[f];
            try
            {
                var (names, labels) = ReadMeta(f, file);
                classNames ??= names;
                rawLabels.AddRange(labels);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or NotSupportedException or ArgumentException && e is not InvalidDataException)
            {
                throw new InvalidDataException($"{file.FullPath}: not a readable parquet file: {e.Message.Split('\n')[0]}", e);
            }
        }
        if (_items.Count == 0) throw new InvalidDataException($"dataset {spec}: the parquet files hold no rows");

        // Labels: ClassLabel ints index the metadata's names; otherwise name each distinct value.
        if (classNames is not null && rawLabels.All(l => int.TryParse(l.Value, out var v) && v >= 0 && v < classNames.Count))
        {
            LabelNames = classNames;
            foreach (var (item, value) in rawLabels) _items[item] = _items[item] with { Label = int.Parse(value) };
        }
        else
        {
            var distinct = rawLabels.Select(l => l.Value).Distinct().ToList();
            var names = distinct.All(v => long.TryParse(v, out _)) ? distinct.OrderBy(long.Parse).ToList() : distinct.Order(StringComparer.Ordinal).ToList();
            LabelNames = names;
            var index = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i);
            foreach (var (item, value) in rawLabels) _items[item] = _items[item] with { Label = index[value] };
        }
    }

    public override ImageDatasetSpec Spec { get; }
    public override string Name => System.IO.Path.GetFileNameWithoutExtension(Spec.Path.TrimEnd('/'));
    public override IReadOnlyList<ImageItem> Items => _items;
    public override IReadOnlyList<string> LabelNames { get; }
    public override string Root { get; }
    public override string Entry { get; }
    public override IReadOnlyList<DatasetFile> Files => _files;

    (List<string>? ClassNames, List<(int, string)> Labels) ReadMeta(int f, DatasetFile file)
    {
        var reader = ParquetReader.CreateAsync(file.FullPath).GetAwaiter().GetResult();
        try
        {
            return ReadMeta(f, file, reader);
        }
        finally
        {
            reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    (List<string>? ClassNames, List<(int, string)> Labels) ReadMeta(int f, DatasetFile file, ParquetReader reader)
    {
        var hf = reader.CustomMetadata.TryGetValue("huggingface", out var json) ? JsonNode.Parse(json) : null;
        var features = hf?["info"]?["features"] as JsonObject;
        var image = FindImageColumn(reader.Schema, features)
                    ?? throw new InvalidDataException($"{file.FullPath}: no image column (an HF Image struct {{bytes, path}})");
        var bytesField = image.Fields.OfType<DataField>().First(d => d.Name == "bytes");
        _imageColumns.Add(bytesField.Path.ToString());
        var top = reader.Schema.Fields.OfType<DataField>().ToList();
        var text = TextColumns.Select(n => top.FirstOrDefault(d => d.Name == n)).FirstOrDefault(d => d is not null);
        var label = LabelColumns.Select(n => top.FirstOrDefault(d => d.Name == n)).FirstOrDefault(d => d is not null);
        List<string>? classNames = null;
        if (label is not null && features?[label.Name] is JsonObject lf && (string?)lf["_type"] == "ClassLabel" && lf["names"] is JsonArray names)
            classNames = names.Select(n => (string)n!).ToList();

        var labels = new List<(int, string)>();
        var row = 0;
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            var n = (int)rg.RowCount;
            string?[]? texts = null;
            if (text is not null)
            {
                texts = new string?[n];
                rg.ReadAsync(text, texts.AsMemory()).AsTask().GetAwaiter().GetResult();
            }
            var labelValues = label is null ? null : ReadLabels(rg, label, n);
            for (var r = 0; r < n; r++)
            {
                var index = _items.Count;
                _items.Add(new ImageItem(index, $"{file.RelativePath}#{row++}", texts?[r], null));
                _where.Add((f, g, r));
                if (labelValues?[r] is { } v) labels.Add((index, v));
            }
        }
        return (classNames, labels);
    }

    static string?[] ReadLabels(ParquetRowGroupReader rg, DataField field, int n)
    {
        var result = new string?[n];
        if (field.ClrType == typeof(long))
        {
            var v = new long?[n];
            rg.ReadAsync<long>(field, v.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < n; i++) result[i] = v[i]?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (field.ClrType == typeof(int))
        {
            var v = new int?[n];
            rg.ReadAsync<int>(field, v.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (var i = 0; i < n; i++) result[i] = v[i]?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else rg.ReadAsync(field, result.AsMemory()).AsTask().GetAwaiter().GetResult(); // strings (Parquet.Net reports them as memory)
        return result;
    }

    static StructField? FindImageColumn(ParquetSchema schema, JsonObject? features)
    {
        var structs = schema.Fields.OfType<StructField>()
            .Where(s => s.Fields.OfType<DataField>().Any(d => d.Name == "bytes")).ToList();
        return structs.FirstOrDefault(s => (string?)features?[s.Name]?["_type"] == "Image") ?? structs.FirstOrDefault();
    }

    public override RgbImage Decode(int index)
    {
        var item = Item(index);
        var (f, g, r) = _where[index];
        byte[]? bytes;
        try
        {
            bytes = RowGroupBytes(f, g)[r];
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException or NotSupportedException)
        {
            throw new ImageDecodeException(item.Key, $"cannot read the image bytes: {e.Message.Split('\n')[0]}", e);
        }
        if (bytes is null) throw new ImageDecodeException(item.Key, "the row's image has no bytes");
        return ImageDecoder.Decode(bytes, item.Key);
    }

    // Decoding runs in item order, so one cached row group serves a whole batch.
    byte[]?[] RowGroupBytes(int f, int g)
    {
        lock (_gate)
        {
            if (_cached is { } c && c.File == f && c.RowGroup == g) return c.Bytes;
            var reader = ParquetReader.CreateAsync(_files[f].FullPath).GetAwaiter().GetResult();
            try
            {
                var field = reader.Schema.DataFields.First(d => d.Path.ToString() == _imageColumns[f]);
                using var rg = reader.OpenRowGroupReader(g);
                var bytes = new byte[]?[rg.RowCount];
                rg.ReadAsync(field, bytes.AsMemory()).AsTask().GetAwaiter().GetResult();
                _cached = (f, g, bytes);
                return bytes;
            }
            finally
            {
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
