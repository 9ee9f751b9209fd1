using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// The frame of an x-y line plot (<see cref="CurvePng"/>, <see cref="SeriesPlotPng"/>, <see cref="ParetoPlotPng"/>): a
/// range (widened to round numbers when taken from the points) mapped onto the plot area, grid lines at round values
/// with their labels, values under the x axis, the two axes, and the lines themselves.
/// </summary>
public sealed class LinePlotFrame
{
    public static readonly SKColor Ink = new(60, 60, 60);
    static readonly SKColor Grid = new(225, 225, 225);

    readonly double _x0, _x1, _y0, _y1;
    readonly bool _reverseX;

    /// <param name="points">finite points, in any order (<see cref="Drawable"/>)</param>
    /// <param name="reverseX">larger x to the left (e.g. noise level, which falls as sampling proceeds)</param>
    public LinePlotFrame(IReadOnlyCollection<(double X, double Y)> points, int left, int top, int width, int height, bool reverseX = false)
        : this(XRange(points), YRange(points), left, top, width, height, reverseX)
    {
    }

    /// <summary>A frame over a range the plot chooses itself (e.g. both axes from 0).</summary>
    /// <param name="x">the x values at the left and right edges (at the right and left with <paramref name="reverseX"/>)</param>
    /// <param name="y">the y values at the bottom and top edges</param>
    public LinePlotFrame((double From, double To) x, (double From, double To) y, int left, int top, int width, int height, bool reverseX = false)
    {
        if (!(x.To > x.From && y.To > y.From)) throw new ArgumentException($"a plot frame needs increasing ranges, got x {x} and y {y}");
        (Left, Top, Width, Height, _reverseX) = (left, top, width, height, reverseX);
        (_x0, _x1, _y0, _y1) = (x.From, x.To, y.From, y.To);
    }

    public int Left { get; }
    public int Top { get; }
    public int Width { get; }
    public int Height { get; }
    public int Right => Left + Width;
    public int Bottom => Top + Height;

    public float X(double x) => Left + (float)(Width * (_reverseX ? _x1 - x : x - _x0) / (_x1 - _x0));
    public float Y(double y) => Top + (float)(Height * (1 - (y - _y0) / (_y1 - _y0)));

    /// <summary>The finite points, in x order: what a line can be drawn through.</summary>
    public static List<(double X, double Y)> Drawable(IEnumerable<(double X, double Y)> points) =>
        points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();

    /// <summary>The points (from <see cref="Drawable"/>) in pixels.</summary>
    public List<SKPoint> At(IEnumerable<(double X, double Y)> points) => points.Select(p => new SKPoint(X(p.X), Y(p.Y))).ToList();

    /// <summary>Grid lines at round values (<see cref="NiceTicks"/>) and the axes; y values right-aligned left of the
    /// plot, x values centred under their places.</summary>
    public void Draw(Raster r)
    {
        var size = ChartFont.Size(2);
        var yTicks = NiceTicks.Within(_y0, _y1);
        foreach (var y in yTicks.Values)
        {
            r.Line(Left, Y(y), Right, Y(y), Grid);
            r.Text(yTicks.Label(y), Left - 6, Y(y) - 4, Ink, size, SKTextAlign.Right);
        }
        // Fewer x ticks on a narrow plot so that their labels keep apart.
        var xTicks = NiceTicks.Within(_x0, _x1, Math.Clamp(Width / 90, 2, 8));
        foreach (var x in xTicks.Values)
        {
            r.Line(X(x), Bottom, X(x), Bottom + 4, Ink);
            r.Text(xTicks.Label(x), X(x), Bottom + 8, Ink, size, SKTextAlign.Center);
        }
        r.Line(Left, Top, Left, Bottom, Ink, 2);
        r.Line(Left, Bottom, Right, Bottom, Ink, 2);
    }

    /// <summary>Joins <paramref name="points"/> (from <see cref="Drawable"/>) in order.</summary>
    public void Line(Raster r, IReadOnlyList<(double X, double Y)> points, SKColor colour, float width) => r.Polyline(At(points), colour, width);

    static (double, double) XRange(IReadOnlyCollection<(double X, double Y)> points)
    {
        if (points.Count == 0) throw new ArgumentException("a plot frame needs at least one point", nameof(points));
        double x0 = points.Min(p => p.X), x1 = points.Max(p => p.X);
        return NiceTicks.Widen(x0, x1 <= x0 ? x0 + 1 : x1);
    }

    static (double, double) YRange(IReadOnlyCollection<(double X, double Y)> points)
    {
        // y starts at 0 unless data lies below it, and ends on the round tick at or above the highest point.
        double y0 = Math.Min(0, points.Min(p => p.Y)), y1 = Math.Max(0, points.Max(p => p.Y));
        return NiceTicks.Widen(y0, y1 <= y0 ? y0 + 1 : y1);
    }
}
