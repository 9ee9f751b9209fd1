using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Images;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>One line of a user's VLM data: the decoded image, the question, the expected answer and, when given, where
/// the asked-about object is (a box in the original image's pixels, or a mask of its size: true on the object).</summary>
public sealed record VlmUserItem(int Line, string ImagePath, RgbImage Image, string Question, string Answer, double[]? Box, bool[]? Mask, string? MaskPath = null);

/// <summary>
/// A JSONL of {"image": path relative to the JSONL's folder, "question", "answer", optional "box": [x0,y0,x1,y1]
/// (pixels of the original image) or "mask": path of a PNG the image's size, non-black on the object}. Every problem is
/// one line naming the file and line (the CLI checks the file before anything starts).
/// </summary>
public static class VlmUserData
{
    public const int MaxItems = 10_000;

    public static IReadOnlyList<VlmUserItem> Load(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"data file not found: {path}");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var items = new List<VlmUserItem>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            if (items.Count == MaxItems) throw new ArgumentException($"{path}: more than {MaxItems} examples");
            items.Add(Parse(raw, path, lineNo, folder));
        }
        if (items.Count == 0) throw new ArgumentException($"{path}: no examples (expected one JSON object per line)");
        return items;
    }

    static VlmUserItem Parse(string raw, string path, int line, string folder)
    {
        string Where() => $"{path} line {line}";
        JsonObject o;
        try
        {
            o = JsonNode.Parse(raw) as JsonObject ?? throw new ArgumentException($"{Where()}: expected a JSON object");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{Where()}: bad JSON ({e.Message.Split('\n')[0]})");
        }
        var unknown = o.Select(kv => kv.Key).Except(["image", "question", "answer", "box", "mask"]).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"{Where()}: unknown field(s) {string.Join(", ", unknown)} (expected image, question, answer, box, mask)");
        string Text(string field)
        {
            var value = o[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{Where()}: '{field}' is missing or empty");
            return value;
        }
        var imageName = Text("image");
        var question = Text("question");
        var answer = Text("answer").Trim();
        var image = ReadImage(folder, imageName, Where());
        double[]? box = null;
        bool[]? mask = null;
        string? maskName = null;
        if (o["box"] is { } b && o["mask"] is not null) throw new ArgumentException($"{Where()}: give 'box' or 'mask', not both");
        if (o["box"] is { } boxNode)
        {
            box = boxNode is JsonArray a && a.Count == 4 && a.All(x => x is JsonValue xv && xv.TryGetValue<double>(out _))
                ? a.Select(x => x!.GetValue<double>()).ToArray()
                : throw new ArgumentException($"{Where()}: 'box' must be [x0, y0, x1, y1] in pixels");
            if (!(box[0] >= 0 && box[1] >= 0 && box[2] <= image.Width && box[3] <= image.Height && box[0] < box[2] && box[1] < box[3]))
                throw new ArgumentException($"{Where()}: box [{string.Join(", ", box)}] is not inside the {image.Width}x{image.Height} image with x0 < x1 and y0 < y1");
        }
        if (o["mask"] is not null)
        {
            maskName = Text("mask");
            var m = ReadImage(folder, maskName, Where());
            if (m.Width != image.Width || m.Height != image.Height)
                throw new ArgumentException($"{Where()}: mask '{maskName}' is {m.Width}x{m.Height}, the image {image.Width}x{image.Height}");
            mask = new bool[m.Width * m.Height];
            for (var i = 0; i < mask.Length; i++) mask[i] = m.Pixels[3 * i] > 0 || m.Pixels[3 * i + 1] > 0 || m.Pixels[3 * i + 2] > 0;
            if (!mask.Any(x => x)) throw new ArgumentException($"{Where()}: mask '{maskName}' marks no pixel");
        }
        return new VlmUserItem(line, imageName, image, question, answer, box, mask, maskName);
    }

    /// <summary>Images and masks live in the JSONL's folder (or below it): the folder is what gets stored and analysed.</summary>
    static RgbImage ReadImage(string folder, string name, string where)
    {
        var full = Path.GetFullPath(Path.Combine(folder, name));
        if (Path.IsPathRooted(name) || !full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"{where}: '{name}' is not a path inside the JSONL's folder (keep the images beside or below it)");
        if (!File.Exists(full)) throw new ArgumentException($"{where}: image '{name}' not found ({full})");
        try
        {
            return ImageDecoder.DecodeFile(full);
        }
        catch (ImageDecodeException e)
        {
            throw new ArgumentException($"{where}: cannot read image '{name}': {e.Problem}");
        }
    }
}
