using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Images;

/// <summary>How a resize target is given: the shortest edge (aspect kept) or an exact height x width.</summary>
public sealed record ResizeTarget(int? ShortestEdge, int? Height, int? Width)
{
    public static ResizeTarget Shortest(int n) => new(n, null, null);
    public static ResizeTarget Exact(int height, int width) => new(null, height, width);
}

/// <summary>
/// The fields of an HF <c>preprocessor_config.json</c> (CLIPImageProcessor) that decide the pixels, validated at the
/// edge. Defaults are CLIPImageProcessor's own (224, bicubic, OpenAI's mean/std).
/// </summary>
public sealed record ClipPreprocessorConfig
{
    const int MaxSide = 1 << 14;

    public static readonly float[] OpenAiMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] OpenAiStd = [0.26862954f, 0.26130258f, 0.27577711f];

    public bool DoResize { get; init; } = true;
    public ResizeTarget Size { get; init; } = ResizeTarget.Shortest(224);
    /// <summary>PIL's resample code; only 3 (bicubic) is implemented, the one every CLIP checkpoint uses.</summary>
    public int Resample { get; init; } = 3;
    public bool DoCenterCrop { get; init; } = true;
    public (int Height, int Width) CropSize { get; init; } = (224, 224);
    public bool DoRescale { get; init; } = true;
    public float RescaleFactor { get; init; } = 1f / 255f;
    public bool DoNormalize { get; init; } = true;
    public float[] ImageMean { get; init; } = OpenAiMean;
    public float[] ImageStd { get; init; } = OpenAiStd;
    public bool DoConvertRgb { get; init; } = true;

    /// <summary>What the tower reads after these steps (the crop when cropping, else the exact resize).</summary>
    public (int Height, int Width) OutputSize =>
        DoCenterCrop ? CropSize
        : DoResize && Size.Height is { } h && Size.Width is { } w ? (h, w)
        : throw new InvalidDataException("preprocessor config gives no fixed output size (no centre crop and no exact height/width resize)");

    /// <summary>Reads and validates a checkpoint's preprocessor_config.json; errors name the file and field.</summary>
    public static ClipPreprocessorConfig Load(string path)
    {
        var root = IO.JsonFiles.ReadObject(path);
        try
        {
            return Parse(root).Validated();
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or JsonException)
        {
            throw new InvalidDataException($"{path}: {IO.JsonFiles.Line(e.Message)}", e);
        }
    }

    static ClipPreprocessorConfig Parse(JsonObject o)
    {
        var c = new ClipPreprocessorConfig();
        if (o["image_processor_type"]?.GetValue<string>() is { } type && !type.StartsWith("CLIPImageProcessor", StringComparison.Ordinal)
            && !type.StartsWith("CLIPFeatureExtractor", StringComparison.Ordinal))
            throw new InvalidDataException($"image_processor_type {IO.JsonFiles.Quote(type)} is not CLIPImageProcessor");
        return c with
        {
            DoResize = Bool(o, "do_resize", c.DoResize),
            Size = o["size"] is { } s ? ParseSize(s, "size") : c.Size,
            Resample = o["resample"] is { } r ? r.GetValue<int>() : c.Resample,
            DoCenterCrop = Bool(o, "do_center_crop", c.DoCenterCrop),
            CropSize = o["crop_size"] is { } cs ? ParseCrop(cs) : c.CropSize,
            DoRescale = Bool(o, "do_rescale", c.DoRescale),
            RescaleFactor = o["rescale_factor"] is { } f ? f.GetValue<float>() : c.RescaleFactor,
            DoNormalize = Bool(o, "do_normalize", c.DoNormalize),
            ImageMean = o["image_mean"] is { } m ? Triple(m, "image_mean") : c.ImageMean,
            ImageStd = o["image_std"] is { } sd ? Triple(sd, "image_std") : c.ImageStd,
            DoConvertRgb = Bool(o, "do_convert_rgb", c.DoConvertRgb),
        };
    }

    public ClipPreprocessorConfig Validated()
    {
        if (DoResize && Resample != 3)
            throw new InvalidDataException($"resample {Resample} is not supported; CLIP checkpoints use 3 (bicubic)");
        // Bounded as images are (ImageDecoder's pixel cap): a resize to a million pixels a side would allocate terabytes.
        if (DoResize && (Size.ShortestEdge is < 1 or > MaxSide || Size.Height is < 1 or > MaxSide || Size.Width is < 1 or > MaxSide))
            throw new InvalidDataException($"size must be in 1..{MaxSide}");
        if (DoCenterCrop && (CropSize.Height is < 1 or > MaxSide || CropSize.Width is < 1 or > MaxSide)) throw new InvalidDataException($"crop_size must be in 1..{MaxSide}");
        if (!(RescaleFactor > 0) || float.IsInfinity(RescaleFactor)) throw new InvalidDataException($"rescale_factor {RescaleFactor} must be positive");
        if (ImageStd.Any(s => !(s > 0) || float.IsInfinity(s))) throw new InvalidDataException("image_std must be positive and finite");
        if (ImageMean.Any(m => !float.IsFinite(m))) throw new InvalidDataException("image_mean must be finite");
        _ = OutputSize;
        return this;
    }

    static bool Bool(JsonObject o, string key, bool fallback) => o[key] is { } v ? v.GetValue<bool>() : fallback;

    // HF accepts an int (shortest edge for CLIP), {"shortest_edge": n} or {"height": h, "width": w}.
    static ResizeTarget ParseSize(JsonNode node, string field) => node switch
    {
        JsonValue v => ResizeTarget.Shortest(v.GetValue<int>()),
        JsonObject o when o["shortest_edge"] is { } se => ResizeTarget.Shortest(se.GetValue<int>()),
        JsonObject o when o["height"] is { } h && o["width"] is { } w => ResizeTarget.Exact(h.GetValue<int>(), w.GetValue<int>()),
        _ => throw new InvalidDataException($"{field} must be an integer, {{\"shortest_edge\": n}} or {{\"height\": h, \"width\": w}}"),
    };

    static (int, int) ParseCrop(JsonNode node) => node switch
    {
        JsonValue v => (v.GetValue<int>(), v.GetValue<int>()),
        JsonObject o when o["height"] is { } h && o["width"] is { } w => (h.GetValue<int>(), w.GetValue<int>()),
        _ => throw new InvalidDataException("crop_size must be an integer or {\"height\": h, \"width\": w}"),
    };

    static float[] Triple(JsonNode node, string field)
    {
        var a = node as JsonArray ?? throw new InvalidDataException($"{field} must be a list of 3 numbers");
        if (a.Count != 3) throw new InvalidDataException($"{field} must be a list of 3 numbers, got {a.Count}");
        return a.Select(x => x is JsonValue v ? v.GetValue<float>() : throw new InvalidDataException($"{field} must be a list of 3 numbers, got {IO.JsonFiles.Quote(x)}")).ToArray();
    }
}
