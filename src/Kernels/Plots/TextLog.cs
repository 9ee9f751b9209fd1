using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// Where text went in the pictures drawn inside <see cref="Record"/> (on this async flow only): the logical canvas
/// sizes and each string's box. Tests measure charts with it (nothing cut at an edge, no labels over each other)
/// without reading glyphs back from pixels; outside a recording it costs one null check per string.
/// </summary>
public static class TextLog
{
    public sealed record Entry(string Text, SKRect Box, int CanvasWidth, int CanvasHeight);

    static readonly AsyncLocal<Recording?> Current = new();

    public sealed class Recording : IDisposable
    {
        internal (int Width, int Height) Canvas;
        public List<Entry> Entries { get; } = [];
        public void Dispose() => Current.Value = null;
    }

    /// <summary>Starts recording the text of the pictures drawn until the result is disposed.</summary>
    public static Recording Record() => Current.Value = new Recording();

    internal static void Canvas(int width, int height)
    {
        if (Current.Value is { } r) r.Canvas = (width, height);
    }

    internal static void Add(string text, SKRect box)
    {
        if (Current.Value is { } r) r.Entries.Add(new Entry(text, box, r.Canvas.Width, r.Canvas.Height));
    }
}
