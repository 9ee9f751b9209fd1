using static MMInterp.Kernels.Tensors.Scalars;
using MMInterp.Kernels.Sae.Training;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Sae.Metrics;

/// <summary>Sums over a log interval; <see cref="Take"/> turns them into <see cref="SaeMetrics"/> and starts afresh.</summary>
public sealed class MetricsAccumulator : IDisposable
{
    private double _loss, _mse, _sparsity, _aux, _sse, _sst;
    private long _rows, _steps;
    public Tensor FireCounts { get; }

    public MetricsAccumulator(int m, Device device) => FireCounts = zeros(new long[] { m }, device: device).DetachFromDisposeScope();

    /// <summary>Adds one step. batchDeviation is sum ||x - mean_batch(x)||^2 of the normalised batch.</summary>
    public void Add(StepResult r, long rows, double batchDeviation)
    {
        _loss += r.Total; _mse += r.Mse; _sparsity += r.Sparsity; _aux += r.Aux;
        _sse += r.Mse * rows; _sst += batchDeviation; _rows += rows; _steps++;
    }

    public long Rows => _rows;

    /// <summary>Per-feature firing density over the interval.</summary>
    public float[] Density() => _rows == 0 ? new float[FireCounts.shape[0]] : (FireCounts / S(_rows)).cpu().data<float>().ToArray();

    public SaeMetrics Take(long step, double lr, double sparsityCoefficient, double denseThreshold, double? downstream)
    {
        var density = Density();
        double l0 = _rows == 0 ? 0 : FireCounts.sum().item<float>() / _rows;
        int m = density.Length;
        double dead = density.Count(v => v == 0) / (double)m, dense = density.Count(v => v > denseThreshold) / (double)m;
        double n = Math.Max(1, _steps);
        var result = new SaeMetrics(step, _loss / n, _mse / n, _sparsity / n, _aux / n, _sst > 0 ? _sse / _sst : double.NaN, l0,
            dead, dense, lr, sparsityCoefficient, downstream);
        _loss = _mse = _sparsity = _aux = _sse = _sst = 0; _rows = _steps = 0;
        FireCounts.zero_();
        return result;
    }

    public void Dispose() => FireCounts.Dispose();
}
