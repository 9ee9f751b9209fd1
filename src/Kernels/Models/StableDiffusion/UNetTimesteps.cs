using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>diffusers' sinusoidal Timesteps projection (get_timestep_embedding, max period 10000, scale 1):
/// frequencies exp(-ln(10000) i / (half - freq_shift)), [sin | cos] of t x frequency, swapped to [cos | sin] with
/// flip_sin_to_cos (what the original SD code computes), a zero column appended for an odd width. No weights.</summary>
public static class UNetTimesteps
{
    /// <param name="t">[N] timesteps (any float values)</param>
    public static Tensor Embed(Tensor t, int dim, bool flipSinToCos, double freqShift)
    {
        using var scope = NewDisposeScope();
        var half = dim / 2;
        // In diffusers' (and the original code's) order: times -ln 10000, then divided by half - shift, so the
        // frequencies round as theirs do.
        // Scalars held for the whole call: a temporary can be freed by a GC mid-call (Tensors/Scalars).
        using var log = (-Math.Log(10000.0)).ToScalar();
        using var denominator = (half - freqShift).ToScalar();
        var exponent = arange(half, dtype: ScalarType.Float32, device: t.device) * log / denominator;
        var angles = t.to_type(ScalarType.Float32).unsqueeze(1) * exponent.exp().unsqueeze(0);
        var (sin, cos) = (angles.sin(), angles.cos());
        var embedding = flipSinToCos ? cat([cos, sin], 1) : cat([sin, cos], 1);
        if (dim % 2 == 1) embedding = nn.functional.pad(embedding, [0, 1]);
        return embedding.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' TimestepEmbedding: linear_1 -> SiLU -> linear_2.</summary>
public sealed class UNetTimestepEmbedding : nn.Module
{
    readonly Linear _linear1, _linear2;

    public UNetTimestepEmbedding(int inChannels, int dim) : base("time_embedding")
    {
        register_module("linear_1", _linear1 = nn.Linear(inChannels, dim));
        register_module("linear_2", _linear2 = nn.Linear(dim, dim));
    }

    public Tensor Forward(Tensor x) => _linear2.forward(nn.functional.silu(_linear1.forward(x)));
}
