using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>
/// The U-Net lens's translators, a tuned lens (Belrose et al. 2023) for a network whose levels share no stream, width
/// or resolution: per level and sampling step, an affine map per position (a 1x1 convolution with bias) from the
/// level's output to the step's guided clean-image estimate, area-pooled to the level's grid. When the sampler guides,
/// a position's null and conditional features stand side by side (the estimate mixes both). Fitted by ridge least
/// squares within each step on the model's own sampling of other prompts than the lens scores. The control site
/// <see cref="InputSite"/> gets the same map from the noisy input alone: what a level reads beyond it is the level's.
/// (Decoding a level through the U-Net's own head instead fails at the first hurdle: the head predicts the noise of
/// every pixel, which only full-resolution skips carry.)
/// </summary>
public sealed class UNetLensTranslators : IDisposable
{
    /// <summary>The control: the sampler's noisy input x_t.</summary>
    public const string InputSite = "x_t";

    readonly Dictionary<(string Site, int Step), Tensor> _weights;

    UNetLensTranslators(IReadOnlyList<string> sites, Dictionary<(string, int), Tensor> weights)
    {
        Sites = sites;
        _weights = weights;
    }

    /// <summary>The model's level outputs (<see cref="IZooDenoiser.BlockHooks"/>, input side first), then <see cref="InputSite"/>.</summary>
    public IReadOnlyList<string> Sites { get; }

    /// <param name="ridge">the ridge penalty as a share of the mean diagonal of XᵀX (keeps rank-deficient levels solvable)</param>
    public static UNetLensTranslators Fit(IUNetDenoiser model, IReadOnlyList<string> prompts, SamplerOptions sampler, double ridge = 1e-3)
    {
        if (prompts.Count == 0) throw new ArgumentException("the lens translators need at least one prompt to fit on", nameof(prompts));
        var sites = model.BlockHooks.Append(InputSite).ToList();
        var weights = new Dictionary<(string, int), Tensor>();
        try
        {
            using var cache = new ActivationCache();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using (model.Hooks.Scope())
            {
                foreach (var hook in model.BlockHooks) model.Hooks.Add(hook, Hook.Cache(cache));
                var device = model.Text.Device;
                var text = model.Text.Encode(prompts, device);
                var nullText = model.Text.Encode(Enumerable.Repeat(TextConditioner.Null, prompts.Count).ToList(), device);
                model.SampleReading(text, nullText, sampler, step =>
                {
                    foreach (var site in sites)
                    {
                        using var inner = NewDisposeScope();
                        var map = Map(site, step, cache);
                        var x = Rows(map, step.ConditionalRow, bias: true).to_type(ScalarType.Float64);
                        var y = Rows(Target(step.Clean, map), 0, bias: false).to_type(ScalarType.Float64);
                        var gram = x.t().mm(x);
                        var penalty = eye(gram.shape[0], dtype: ScalarType.Float64, device: gram.device) * Scalars.S(ridge * gram.diagonal().mean().item<double>() + 1e-12);
                        weights[(site, step.Index)] = linalg.solve(gram + penalty, x.t().mm(y)).to_type(ScalarType.Float32).DetachFromDisposeScope();
                    }
                });
            }
            Scalars.Release();
            return new UNetLensTranslators(sites, weights);
        }
        catch
        {
            foreach (var w in weights.Values) w.Dispose();
            throw;
        }
    }

    /// <summary>A site's reading at a step: the clean image it decodes to, [B, 3, h, w] on the site's grid.</summary>
    public Tensor Decode(string site, UNetStepReading step, ActivationCache cache)
    {
        var w = _weights.TryGetValue((site, step.Index), out var found) ? found
            : throw new ArgumentException($"no lens translator for '{site}' at step {step.Index}; the translators read {string.Join(", ", Sites)} at the sampler's steps", nameof(site));
        var map = Map(site, step, cache);
        var b = step.Clean.shape[0];
        return Rows(map, step.ConditionalRow, bias: true).mm(w.to(map.device)).reshape(b, map.shape[2], map.shape[3], -1).permute(0, 3, 1, 2);
    }

    /// <summary>The step's clean estimate area-pooled to a site's grid (what its translator is fitted to).</summary>
    public static Tensor Target(Tensor clean, Tensor map) => nn.functional.adaptive_avg_pool2d(clean, [map.shape[2], map.shape[3]]);

    /// <summary>The site's feature map for every row the U-Net ran on (x_t: the B images').</summary>
    internal static Tensor Map(string site, UNetStepReading step, ActivationCache cache) => site == InputSite ? step.Input : cache[site];

    /// <summary>A feature map as position rows [B h w, F]: with guidance (<paramref name="conditionalRow"/> = B, null rows
    /// first) the null and conditional features of the same image and position side by side; a column of ones if asked.</summary>
    static Tensor Rows(Tensor map, int conditionalRow, bool bias)
    {
        if (conditionalRow > 0 && map.shape[0] == 2L * conditionalRow) map = cat([map.narrow(0, 0, conditionalRow), map.narrow(0, conditionalRow, conditionalRow)], 1);
        var rows = map.permute(0, 2, 3, 1).reshape(-1, map.shape[1]);
        return bias ? cat([rows, ones(rows.shape[0], 1, dtype: rows.dtype, device: rows.device)], 1) : rows;
    }

    public void Dispose()
    {
        foreach (var w in _weights.Values) w.Dispose();
    }
}
