using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// Rotary position embeddings in HF's layout (rotate_half: channel i turns with channel i + d/2; Meta's reference pairs
/// 2i with 2i+1, and HF checkpoints permute q/k weights to match). Inverse frequencies follow the config's rope_theta
/// and rope_scaling; angles are position * inverse frequency in float32, as HF computes them.
/// </summary>
public sealed class RotaryEmbedding
{
    readonly LlamaConfig _config;
    readonly float[] _fixed;

    public RotaryEmbedding(LlamaConfig config)
    {
        _config = config;
        _fixed = InverseFrequencies(config, config.MaxPositions);
    }

    /// <summary>HF's inverse frequencies for a sequence of <paramref name="sequenceLength"/> positions (only dynamic
    /// scaling depends on it: HF recomputes the base once the sequence passes max_position_embeddings).</summary>
    public static float[] InverseFrequencies(LlamaConfig c, int sequenceLength)
    {
        var dim = c.HeadDim;
        var theta = c.RopeTheta;
        var s = c.RopeScaling;
        if (s?.Type == RopeScaling.Dynamic)
        {
            var length = Math.Max(sequenceLength, c.MaxPositions);
            theta *= Math.Pow(s.Factor * length / c.MaxPositions - (s.Factor - 1), dim / (dim - 2.0));
        }
        var inv = new float[dim / 2];
        for (var i = 0; i < inv.Length; i++)
        {
            // HF: 1 / base ** (arange(0, dim, 2).float() / dim), in float32.
            var f = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / dim));
            inv[i] = s?.Type switch
            {
                RopeScaling.Linear => (float)(f / s.Factor),
                RopeScaling.Llama3 => Llama3(f, s),
                _ => f,
            };
        }
        return inv;
    }

    /// <summary>Llama 3.1's rule on one inverse frequency: kept above the high-frequency wavelength, divided by factor
    /// beyond the low-frequency one, interpolated between.</summary>
    static float Llama3(float f, RopeScaling s)
    {
        var wavelength = 2 * Math.PI / f;
        var lowWave = s.OriginalMaxPositions / s.LowFreqFactor;
        var highWave = s.OriginalMaxPositions / s.HighFreqFactor;
        if (wavelength < highWave) return f;
        if (wavelength > lowWave) return (float)(f / s.Factor);
        var smooth = (s.OriginalMaxPositions / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (float)((1 - smooth) * f / s.Factor + smooth * f);
    }

    /// <summary>cos and sin, each [B, 1, T, headDim] float32, for positions [B, T] (int64).</summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions)
    {
        var inv = _fixed;
        if (_config.RopeScaling?.Type == RopeScaling.Dynamic)
        {
            // HF sizes the dynamic base by the furthest position in this forward (max(position_ids) + 1).
            var length = positions.numel() == 0 ? 0 : (int)positions.max().item<long>() + 1;
            if (length > _config.MaxPositions) inv = InverseFrequencies(_config, length);
        }
        using var scope = NewDisposeScope();
        var frequencies = tensor(inv, device: positions.device);
        var angles = positions.to(float32).unsqueeze(-1) * frequencies; // [B, T, d/2]
        var doubled = cat([angles, angles], -1).unsqueeze(1);          // [B, 1, T, d]
        return (scope.MoveToOuter(doubled.cos()), scope.MoveToOuter(doubled.sin()));
    }

    /// <summary>x * cos + rotate_half(x) * sin, for x [B, H, T, d].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var rotated = cat([x.narrow(-1, half, half).neg(), x.narrow(-1, 0, half)], -1);
        return x * cos + rotated * sin;
    }
}
