namespace MMInterp.Kernels.ShapesWorld;

/// <summary>Inside-tests for each shape in coordinates relative to the object's centre, in units of its radius
/// (u right, v down).</summary>
public static class ShapeGeometry
{
    static readonly (double U, double V)[] Triangle = [(0, -1), (-0.95, 0.8), (0.95, 0.8)];
    static readonly (double U, double V)[] Star = MakeStar();

    static (double, double)[] MakeStar()
    {
        var points = new (double, double)[10];
        for (var i = 0; i < 10; i++)
        {
            var r = i % 2 == 0 ? 1.05 : 0.45;
            var angle = -Math.PI / 2 + i * Math.PI / 5;
            points[i] = (r * Math.Cos(angle), r * Math.Sin(angle) + 0.08);
        }
        return points;
    }

    public static bool Inside(Shape shape, double u, double v)
    {
        var d = Math.Sqrt(u * u + v * v);
        return shape switch
        {
            Shape.Circle => d <= 1.0,
            Shape.Square => Math.Abs(u) <= 0.82 && Math.Abs(v) <= 0.82,
            Shape.Triangle => InPolygon(Triangle, u, v),
            Shape.Cross => (Math.Abs(u) <= 0.34 && Math.Abs(v) <= 1.0) || (Math.Abs(v) <= 0.34 && Math.Abs(u) <= 1.0),
            Shape.Ring => d <= 1.0 && d >= 0.55,
            Shape.Star => InPolygon(Star, u, v),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
    }

    static bool InPolygon((double U, double V)[] poly, double u, double v)
    {
        var inside = false;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
        {
            var (ui, vi) = poly[i];
            var (uj, vj) = poly[j];
            if ((vi > v) != (vj > v) && u < (uj - ui) * (v - vi) / (vj - vi) + ui) inside = !inside;
        }
        return inside;
    }
}
