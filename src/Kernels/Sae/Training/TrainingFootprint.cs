namespace MMInterp.Kernels.Sae.Training;

/// <summary>
/// About how many bytes training SAEs takes on its device, from the sizes alone (no allocation): per member its
/// parameters four times over (weights, gradients, Adam's two moments), plus one batch's activations through the
/// widest member (input, pre-activations, latents, masks, reconstruction). A lower bound of what libtorch will ask
/// for, used to refuse a spec that cannot fit before anything is allocated.
/// </summary>
public static class TrainingFootprint
{
    const double BytesPerFloat = 4;

    public static double Bytes(IReadOnlyCollection<SaeConfig> members, long batchSize)
    {
        double parameters = members.Sum(m => 2.0 * m.DIn * m.DSae + 2.0 * m.DSae + m.DIn);
        double activations = members.Count == 0 ? 0 : members.Max(m => (double)batchSize * (3.0 * m.DIn + 4.0 * m.DSae));
        return BytesPerFloat * (4 * parameters + activations);
    }
}
