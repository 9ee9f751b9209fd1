using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>The oracle's readings of a lens's images, per row (layer) and sampling step, scored once sampling is done:
/// against the prompts' scenes, or, for a user's prompts, against the oracle's reading of the model's own final image.</summary>
sealed class LensReadings(AttributeClassifier classifier, int rows, int steps)
{
    readonly Dictionary<ObjectAttribute, long[]>?[,] _read = new Dictionary<ObjectAttribute, long[]>?[rows, steps];

    /// <summary>Reads images [B, 3, S, S] in [0, 1] as row <paramref name="row"/>'s at step <paramref name="step"/>.</summary>
    public void Add(int row, int step, Tensor images) => _read[row, step] = Read(images);

    /// <summary>Share of prompts whose reading equals the reference, per attribute, [row][step].</summary>
    public Dictionary<ObjectAttribute, double[][]> Score(IReadOnlyList<Scene>? scenes, Tensor finalImages)
    {
        var reference = scenes is null ? Read(finalImages)
            : SteeringLens.Scored.ToDictionary(a => a, a => scenes.Select(s => (long)s.Objects[0].Value(a)).ToArray());
        return SteeringLens.Scored.ToDictionary(a => a, a => Enumerable.Range(0, rows).Select(row => Enumerable.Range(0, steps).Select(step =>
        {
            var read = _read[row, step]?[a] ?? throw new InvalidOperationException($"the lens has no reading for row {row} at step {step}");
            return read.Zip(reference[a]).Count(p => p.First == p.Second) / (double)read.Length;
        }).ToArray()).ToArray());
    }

    Dictionary<ObjectAttribute, long[]> Read(Tensor images)
    {
        using var scope = NewDisposeScope();
        var predicted = classifier.Predict(images.to(classifier.parameters().First().device));
        return SteeringLens.Scored.ToDictionary(a => a, a => predicted[a].cpu().data<long>().ToArray());
    }
}
