using System.Globalization;
using SkiaSharp;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// The frame of an x-y line plot (<see cref="CurvePng"/>, <see cref="SeriesPlotPng"/>, <see cref="ParetoPlotPng"/>): a
/// range mapped onto the plot area, five grid lines with their values, values under the x axis, the two axes, and the
/// lines themselves.
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

    /// <summary>Grid lines and axes; y values in <paramref name="yFormat"/> at the raster's left edge, x values in
    /// <paramref name="xFormat"/> starting <paramref name="xValueShift"/> px left of their place.</summary>
    public void Draw(Raster r, string xFormat, string yFormat = "G3", int xValueShift = 8)
    {
        for (var i = 0; i <= 5; i++)
        {
            var y = _y0 + (_y1 - _y0) * i / 5;
            r.Line(Left, Y(y), Right, Y(y), Grid);
            r.Text(y.ToString(yFormat, CultureInfo.InvariantCulture), 8, (int)Y(y) - 5, Ink);
            var x = _x0 + (_x1 - _x0) * i / 5;
            r.Text(x.ToString(xFormat, CultureInfo.InvariantCulture), (int)X(x) - xValueShift, Bottom + 8, Ink);
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
        return (x0, x1 <= x0 ? x0 + 1 : x1);
    }

    static (double, double) YRange(IReadOnlyCollection<(double X, double Y)> points)
    {
        // y starts at 0 unless data lies below it, and ends 5% above the highest point so no line runs along the top.
        double y0 = Math.Min(0, points.Min(p => p.Y)), y1 = Math.Max(0, points.Max(p => p.Y)) * 1.05;
        return (y0, y1 <= y0 ? y0 + 1 : y1);
    }
}
