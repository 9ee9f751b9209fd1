using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Probes;

public sealed record LinearProbeOptions
{
    public int Steps { get; init; } = 300;
    public double LearningRate { get; init; } = 0.05;
    public double WeightDecay { get; init; } = 1e-3;

    public LinearProbeOptions Validate()
    {
        if (Steps < 1) throw new ArgumentException($"Steps must be at least 1, got {Steps}", nameof(Steps));
        if (!(LearningRate > 0)) throw new ArgumentException($"LearningRate must be positive, got {LearningRate}", nameof(LearningRate));
        if (WeightDecay < 0) throw new ArgumentException($"WeightDecay must be non-negative, got {WeightDecay}", nameof(WeightDecay));
        return this;
    }
}

/// <summary>Multinomial logistic regression on standardised features, full-batch AdamW.</summary>
public static class LinearProbe
{
    /// <summary>Trains on (trainX [N,D], trainY [N]) and returns the accuracy on (testX, testY).</summary>
    public static double TrainAndTest(Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, int classes, LinearProbeOptions? options = null)
    {
        var o = (options ?? new LinearProbeOptions()).Validate();
        if (trainX.dim() != 2 || testX.dim() != 2 || trainX.shape[1] != testX.shape[1])
            throw new ArgumentException($"probe features must be [N,D] with equal D, got [{string.Join(",", trainX.shape)}] and [{string.Join(",", testX.shape)}]");
        if (trainY.shape[0] != trainX.shape[0] || testY.shape[0] != testX.shape[0])
            throw new ArgumentException("probe labels must have one entry per feature row");
        using var scope = NewDisposeScope();
        // Standardise with training statistics only, so the held-out split stays unseen.
        var mean = trainX.mean([0], keepdim: true);
        using var tiny = 1e-5.ToScalar();
        var std = trainX.std(0, keepdim: true).add_(tiny);
        var x = (trainX - mean) / std;
        var xt = (testX - mean) / std;
        var d = x.shape[1];
        var weight = new TorchSharp.Modules.Parameter(zeros(d, classes, device: x.device));
        var bias = new TorchSharp.Modules.Parameter(zeros(classes, device: x.device));
        using var optimizer = new Training.AdamW([(weight, o.WeightDecay), (bias, 0.0)]) { LearningRate = o.LearningRate };
        for (var step = 0; step < o.Steps; step++)
        {
            using var inner = NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = nn.functional.cross_entropy(x.matmul(weight) + bias, trainY);
            loss.backward();
            optimizer.Step();
        }
        using var _ = no_grad();
        var predicted = (xt.matmul(weight) + bias).argmax(-1);
        return predicted.eq(testY).to_type(ScalarType.Float32).mean().item<float>();
    }
}
