using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

public sealed record SamplerOptions
{
    public int Steps { get; init; } = 20;
    /// <summary>Classifier-free guidance scale; 1 = conditional prediction only (no null pass).</summary>
    public double Guidance { get; init; } = 2.0;
    public long Seed { get; init; } = 0;

    public SamplerOptions Validate()
    {
        if (Steps < 1 || Steps > 1000) throw new ArgumentException($"Steps must be in [1, 1000], got {Steps}", nameof(Steps));
        if (!(Guidance >= 0 && Guidance <= 20)) throw new ArgumentException($"Guidance must be in [0, 20], got {Guidance}", nameof(Guidance));
        return this;
    }
}

/// <summary>One Euler step as the sampler saw it: the noisy input at level T, the guided velocity and the clean-image estimate.</summary>
public sealed record SampleStep(int Index, double T, Tensor Xt, Tensor Velocity, Tensor CleanEstimate);

/// <summary>Euler sampling of the rectified flow from t = 1 (noise drawn from the seed) to t = 0, with classifier-free
/// guidance. With guidance the denoiser runs once on [conditional; null] rows, so hooks see 2B rows, conditional first.</summary>
public static class FlowSampler
{
    /// <summary>Returns images in [0, 1], [B, C, H, W]. <paramref name="beforeStep"/> runs before each denoiser call (hooks
    /// that depend on the step read it); <paramref name="afterStep"/> sees each step's tensors (valid during the call).</summary>
    public static Tensor Sample(DiffusionTransformer model, TextCondition text, TextCondition nullText, SamplerOptions options,
        Action<int, double>? beforeStep = null, Action<SampleStep>? afterStep = null)
    {
        var o = options.Validate();
        if (nullText.Count != text.Count) throw new ArgumentException($"null condition has {nullText.Count} rows but the prompts have {text.Count}");
        var c = model.Config;
        var b = text.Count;
        var device = text.Tokens.device;
        using var _ = no_grad();
        var generator = new Generator((ulong)o.Seed, device);
        var x = randn([b, c.Channels, c.ImageSize, c.ImageSize], generator: generator, device: device);
        var guided = o.Guidance != 1.0;
        var both = guided ? TextCondition.Concat(text, nullText) : text;
        var schedule = FlowMatching.Schedule(o.Steps);
        for (var i = 0; i < o.Steps; i++)
        {
            using var scope = NewDisposeScope();
            var t = schedule[i];
            beforeStep?.Invoke(i, t);
            var input = guided ? cat([x, x], 0) : x;
            var tt = full([input.shape[0]], Scalars.S(t), device: device);
            var v = model.Forward(input, tt, both);
            if (guided)
            {
                var parts = v.chunk(2, 0);
                v = parts[1] + (parts[0] - parts[1]) * Scalars.S(o.Guidance);
            }
            var tb = tt.narrow(0, 0, b);
            afterStep?.Invoke(new SampleStep(i, t, x, v, FlowMatching.CleanEstimate(x, tb, v)));
            var next = (x - v * Scalars.S(t - schedule[i + 1])).DetachFromDisposeScope();
            x.Dispose();
            x = next;
        }
        var pixels = FlowMatching.ToPixels(x);
        x.Dispose();
        return pixels;
    }
}
