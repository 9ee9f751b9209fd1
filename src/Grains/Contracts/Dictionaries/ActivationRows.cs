namespace MMInterp.Grains.Contracts.Dictionaries;

/// <summary>
/// A small batch of activation rows, row-major (<see cref="Values"/> holds Count x <see cref="Width"/> floats). Grain
/// messages carry at most <see cref="MaxRows"/> rows; larger work goes through an experiment over an activation set.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ActivationRows([property: Id(0)] int Width, [property: Id(1)] float[] Values)
{
    public const int MaxRows = 1024;

    public int Count => Width == 0 ? 0 : Values.Length / Width;

    public ActivationRows Validated()
    {
        if (Width < 1) throw new ArgumentException($"activation rows: width must be at least 1, got {Width}");
        if (Values.Length % Width != 0) throw new ArgumentException($"activation rows: {Values.Length} values are not whole rows of width {Width}");
        if (Count > MaxRows) throw new ArgumentException($"activation rows: {Count} rows is more than the limit of {MaxRows} per call");
        return this;
    }
}
