using System.Globalization;

namespace MMInterp.Kernels.Plots;

/// <summary>
/// Axis ticks at round numbers: a step of 1, 2, 2.5 or 5 times a power of ten, chosen so that a range holds about as
/// many ticks as asked (Heckbert's "nice numbers", with 2.5 added), and labels with as many decimals as the step needs.
/// </summary>
public sealed record NiceTicks(double Step, IReadOnlyList<double> Values)
{
    static readonly double[] Mantissas = [1, 2, 2.5, 5, 10];

    /// <summary>The round step giving about <paramref name="count"/> intervals over [from, to].</summary>
    public static double StepFor(double from, double to, int count = 5)
    {
        if (!(double.IsFinite(from) && double.IsFinite(to) && to > from)) throw new ArgumentException($"ticks need a finite increasing range, got [{from}, {to}]");
        if (count < 1) throw new ArgumentException($"tick count must be positive, got {count}", nameof(count));
        var raw = (to - from) / count;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        // The smallest round step at least the raw one: never more ticks than asked for (plus one for rounding).
        foreach (var m in Mantissas)
            if (m * power >= raw * (1 - 1e-9)) return m * power;
        return 10 * power;
    }

    /// <summary>Ticks at multiples of a round step inside [from, to].</summary>
    public static NiceTicks Within(double from, double to, int count = 5)
    {
        var step = StepFor(from, to, count);
        var first = Math.Ceiling(from / step - 1e-9);
        var last = Math.Floor(to / step + 1e-9);
        var values = new List<double>();
        for (var k = first; k <= last; k++) values.Add(Snap(k * step, step));
        return new NiceTicks(step, values);
    }

    /// <summary>[from, to] widened outwards to multiples of its round step: an axis that starts and ends on a tick.</summary>
    public static (double From, double To) Widen(double from, double to, int count = 5)
    {
        var step = StepFor(from, to, count);
        return (Snap(Math.Floor(from / step + 1e-9) * step, step), Snap(Math.Ceiling(to / step - 1e-9) * step, step));
    }

    /// <summary>Decimals that show every multiple of the step exactly (0.25 needs two, 0.5 one, 20 none).</summary>
    public int Decimals
    {
        get
        {
            for (var d = 0; d <= 12; d++)
                if (Math.Abs(Step * Math.Pow(10, d) - Math.Round(Step * Math.Pow(10, d))) < 1e-6 * Step * Math.Pow(10, d)) return d;
            return 12;
        }
    }

    /// <summary>A tick's label: fixed decimals, with thousands apart in large numbers and powers of ten for tiny steps.</summary>
    public string Label(double value)
    {
        if (Step < 1e-4 || Math.Abs(value) >= 1e7) return value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        return value.ToString(Step >= 1000 ? "#,0" : "F" + Decimals, CultureInfo.InvariantCulture);
    }

    // k * step in floating point leaves dust (0.30000000000000004); rounding to the step's decimals removes it.
    static double Snap(double value, double step)
    {
        var decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step)) + 2, 0, 15);
        var snapped = Math.Round(value, decimals);
        return snapped == 0 ? 0 : snapped; // no "-0"
    }
}
