using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// A Linear (HF names "weight", "bias") whose parameters keep the dtype they were loaded in (bf16/fp16 checkpoints
/// stay half the size in memory) while the product is computed in the input's dtype (float32): each forward casts the
/// weight on use, in row blocks for large weights so the float32 copy never exceeds <see cref="CastBlockElements"/>.
/// With float32 parameters nothing is cast and the layer is an ordinary, trainable Linear.
/// </summary>
public sealed class StoredLinear : nn.Module
{
    /// <summary>Float32 elements a block's cast may hold at once. Settable for benchmarks that tune it.</summary>
    public static long CastBlockElements { get; set; } = 16L << 20;

    readonly Parameter _weight;
    readonly Parameter? _bias;

    public StoredLinear(string name, int inFeatures, int outFeatures, bool hasBias, ScalarType dtype, bool initialise) : base(name)
    {
        _weight = LlmParameters.Create([outFeatures, inFeatures], dtype);
        register_parameter("weight", _weight);
        if (hasBias)
        {
            _bias = LlmParameters.Create([outFeatures], dtype);
            register_parameter("bias", _bias);
        }
        if (!initialise) return;
        // nn.Linear's default: uniform(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
        using var _ = no_grad();
        var bound = 1.0 / Math.Sqrt(inFeatures);
        _weight.uniform_(-bound, bound);
        _bias?.uniform_(-bound, bound);
    }

    public Tensor Weight => _weight;
    public Tensor? Bias => _bias;

    public Tensor Forward(Tensor x) => Apply(x, _weight, _bias);

    /// <summary>x @ weight.T + bias with the weight and bias cast to x's dtype on use (blockwise over output rows).</summary>
    public static Tensor Apply(Tensor x, Tensor weight, Tensor? bias)
    {
        if (weight.dtype == x.dtype && (bias is null || bias.dtype == x.dtype)) return nn.functional.linear(x, weight, bias);
        var rows = weight.shape[0];
        var width = Math.Max(1, weight.shape[1]);
        var block = Math.Max(1, CastBlockElements / width);
        // Into a reused scratch block when nothing will be saved for backward (the weight is cast on every forward, so
        // fresh memory would be page-faulted in each time: 4 s of a 1-layer 7B-width decode step, 0.15 s as a copy).
        // The blocks are CPU float32: other devices cast as before.
        var scratch = x.requires_grad || x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU ? null : CastScratch.Take(Math.Min(rows, block) * width);
        try
        {
            if (rows <= block)
            {
                using var scope = NewDisposeScope();
                return scope.MoveToOuter(nn.functional.linear(x, Cast(weight, scratch, x.dtype), bias?.to(x.dtype)));
            }
            var parts = new List<Tensor>();
            using (var scope = NewDisposeScope())
            {
                for (long start = 0; start < rows; start += block)
                {
                    var n = Math.Min(block, rows - start);
                    using var inner = NewDisposeScope();
                    parts.Add(inner.MoveToOuter(nn.functional.linear(x, Cast(weight.narrow(0, start, n), scratch, x.dtype), bias?.narrow(0, start, n).to(x.dtype))));
                }
                return scope.MoveToOuter(cat(parts, -1));
            }
        }
        finally
        {
            if (scratch is not null) CastScratch.Return(scratch);
        }
    }

    /// <summary>The weight (block) in <paramref name="dtype"/>: copied into the scratch's front when there is one (the same
    /// conversion as .to, into memory already mapped), else a fresh cast.</summary>
    static Tensor Cast(Tensor weight, Tensor? scratch, ScalarType dtype) =>
        scratch is null ? weight.to(dtype) : scratch.narrow(0, 0, weight.numel()).view(weight.shape).copy_(weight);
}
