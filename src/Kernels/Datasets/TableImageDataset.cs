using System.Globalization;
using System.Text.Json;
using Sylvan.Data.Csv;
using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.Datasets;

/// <summary>
/// <c>csv:FILE</c> (read with Sylvan.Data.Csv, header row required) and <c>jsonl:FILE</c> (one JSON object a line): an image
/// path relative to the file (column image|path|file), an optional caption (caption|text) and an optional label
/// (label|class). Label names are the distinct labels, sorted (numerically when all are integers). Item keys are the
/// image paths as written; a listed image that is missing is an item that fails to decode, not an error here.
/// </summary>
public sealed class TableImageDataset : FileImageDataset
{
    static readonly string[] ImageColumns = ["image", "path", "file"];
    static readonly string[] CaptionColumns = ["caption", "text"];
    static readonly string[] LabelColumns = ["label", "class"];

    readonly List<ImageItem> _items = [];
    readonly List<DatasetFile> _files = [];

    public TableImageDataset(ImageDatasetSpec spec)
    {
        if (spec.Kind is not (ImageDatasetKind.Csv or ImageDatasetKind.Jsonl)) throw new ArgumentException($"{spec} is not a csv or jsonl dataset");
        Spec = spec;
        if (!File.Exists(spec.Path)) throw new FileNotFoundException($"dataset {spec}: no such file", spec.Path);
        Root = System.IO.Path.GetDirectoryName(spec.Path)!;
        var rows = spec.Kind == ImageDatasetKind.Csv ? ReadCsv(spec.Path) : ReadJsonl(spec.Path);
        if (rows.Count == 0) throw new InvalidDataException($"{spec.Path}: no rows");

        var labels = rows.Where(r => r.Label is not null).Select(r => r.Label!).Distinct(StringComparer.Ordinal).ToList();
        LabelNames = labels.All(l => long.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            ? labels.OrderBy(l => long.Parse(l, CultureInfo.InvariantCulture)).ToList()
            : labels.Order(StringComparer.Ordinal).ToList();
        var labelIndex = LabelNames.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);

        var images = new SortedDictionary<string, DatasetFile>(StringComparer.Ordinal);
        foreach (var r in rows)
        {
            var key = r.Image.Replace('\\', '/');
            if (System.IO.Path.IsPathRooted(key) || key.Split('/').Contains(".."))
                throw new InvalidDataException($"{spec.Path}: line {r.Line}: image '{r.Image}' must be a path relative to the file's directory, inside it");
            _items.Add(new ImageItem(_items.Count, key, r.Caption, r.Label is null ? null : labelIndex[r.Label]));
            var full = System.IO.Path.Combine(Root, key);
            if (File.Exists(full)) images.TryAdd(key, new DatasetFile(key, full));
        }
        Entry = System.IO.Path.GetFileName(spec.Path);
        images[Entry] = new DatasetFile(Entry, spec.Path);
        _files.AddRange(images.Values);
    }

    public override ImageDatasetSpec Spec { get; }
    public override string Name => System.IO.Path.GetFileNameWithoutExtension(Spec.Path);
    public override IReadOnlyList<ImageItem> Items => _items;
    public override IReadOnlyList<string> LabelNames { get; }
    public override string Root { get; }
    public override string Entry { get; }
    public override IReadOnlyList<DatasetFile> Files => _files;

    sealed record Row(int Line, string Image, string? Caption, string? Label);

    static string? Pick(IReadOnlyCollection<string> names, string[] wanted) =>
        wanted.FirstOrDefault(w => names.Contains(w, StringComparer.OrdinalIgnoreCase)) is { } w
            ? names.First(n => string.Equals(n, w, StringComparison.OrdinalIgnoreCase)) : null;

    static List<Row> ReadCsv(string path)
    {
        var rows = new List<Row>();
        try
        {
            using var csv = CsvDataReader.Create(path, new CsvDataReaderOptions { HasHeaders = true });
            var header = Enumerable.Range(0, csv.FieldCount).Select(csv.GetName).ToList();
            var image = Pick(header, ImageColumns) ?? throw new InvalidDataException($"{path}: no image column (one of {string.Join("|", ImageColumns)}) in the header '{string.Join(",", header)}'");
            int imageAt = csv.GetOrdinal(image), captionAt = Pick(header, CaptionColumns) is { } c ? csv.GetOrdinal(c) : -1,
                labelAt = Pick(header, LabelColumns) is { } l ? csv.GetOrdinal(l) : -1;
            var line = 1;
            while (csv.Read())
            {
                line++;
                string? Field(int at) => at >= 0 && at < csv.RowFieldCount ? csv.GetString(at) : null;
                var img = Field(imageAt);
                if (string.IsNullOrWhiteSpace(img)) throw new InvalidDataException($"{path}: record {line}: the {image} column is empty");
                rows.Add(new Row(line, img, Field(captionAt), NullIfEmpty(Field(labelAt))));
            }
        }
        catch (CsvFormatException e)
        {
            throw new InvalidDataException($"{path}: not a valid CSV file: {e.Message.Split('\n')[0]}", e);
        }
        return rows;
    }

    static List<Row> ReadJsonl(string path)
    {
        var rows = new List<Row>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonElement o;
            try
            {
                using var doc = JsonDocument.Parse(text);
                o = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: line {line}: not valid JSON ({e.Message.Split('\n')[0]})", e);
            }
            if (o.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: line {line}: not a JSON object");
            var names = o.EnumerateObject().Select(p => p.Name).ToList();
            var image = Pick(names, ImageColumns) ?? throw new InvalidDataException($"{path}: line {line}: no image field (one of {string.Join("|", ImageColumns)})");
            var img = o.GetProperty(image).ValueKind == JsonValueKind.String ? o.GetProperty(image).GetString() : null;
            if (string.IsNullOrWhiteSpace(img)) throw new InvalidDataException($"{path}: line {line}: the {image} field is not a non-empty string");
            rows.Add(new Row(line, img, Text(o, Pick(names, CaptionColumns)), NullIfEmpty(Text(o, Pick(names, LabelColumns)))));
        }
        return rows;
    }

    static string? Text(JsonElement o, string? name) => name is null ? null : o.GetProperty(name) switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Number } n => n.GetRawText(),
        { ValueKind: JsonValueKind.Null } => null,
        var other => other.GetRawText(),
    };

    static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
