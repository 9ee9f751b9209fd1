namespace MMInterp.Grains.Contracts.Dictionaries;

/// <summary>
/// Sparse SAE latents of a batch of rows (compressed rows): row r's active features are
/// <see cref="Features"/>[<see cref="RowStarts"/>[r]..<see cref="RowStarts"/>[r+1]] with the same slice of
/// <see cref="Values"/>. <see cref="Width"/> is the dictionary size.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record FeatureCodes(
    [property: Id(0)] int Width,
    [property: Id(1)] int[] RowStarts,
    [property: Id(2)] int[] Features,
    [property: Id(3)] float[] Values)
{
    public int Count => RowStarts.Length - 1;

    public FeatureCodes Validated()
    {
        if (Width < 1) throw new ArgumentException($"feature codes: width must be at least 1, got {Width}");
        if (RowStarts.Length < 1 || RowStarts[0] != 0 || RowStarts[^1] != Features.Length || Features.Length != Values.Length)
            throw new ArgumentException("feature codes: row starts must run from 0 to the number of features, one value per feature");
        if (Count > ActivationRows.MaxRows) throw new ArgumentException($"feature codes: {Count} rows is more than the limit of {ActivationRows.MaxRows} per call");
        for (var r = 0; r < Count; r++)
            if (RowStarts[r + 1] < RowStarts[r]) throw new ArgumentException($"feature codes: row starts decrease at row {r}");
        foreach (var f in Features)
            if (f < 0 || f >= Width) throw new ArgumentException($"feature codes: feature {f} is outside the dictionary's {Width}");
        return this;
    }
}
