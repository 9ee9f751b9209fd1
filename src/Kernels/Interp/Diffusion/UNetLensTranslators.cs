using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>
/// The U-Net lens's translators: per level, an affine map per pixel (a 1x1 convolution with bias) from the level's
/// output, nearest-upsampled to the output head's grid, to the last up level's output (what the head reads). A U-Net's
/// levels share no residual stream or width, so "decode this level as if it were the last" needs such a map: this is
/// the tuned lens (Belrose et al. 2023) for a U-Net, fitted by ridge least squares on the model's own activations
/// while it samples from other captions than the lens scores, null and conditional rows alike. One map per sampling step:
/// the time embedding rescales every level, so one map for all noise levels fits none of them.
/// </summary>
public sealed class UNetLensTranslators : IDisposable
{
    readonly IReadOnlyDictionary<(string Site, int Step), Tensor> _weights;

    UNetLensTranslators(IReadOnlyList<string> sites, string target, IReadOnlyDictionary<(string, int), Tensor> weights)
    {
        Sites = sites;
        Target = target;
        _weights = weights;
    }

    /// <summary>The levels decoded, input side first: every level's output but the last up level's.</summary>
    public IReadOnlyList<string> Sites { get; }

    /// <summary>The last up level's output: the head's input, what every translator predicts.</summary>
    public string Target { get; }

    /// <summary>The sites and target of a U-Net (its level outputs from <see cref="UNetSites.BlockHooks"/>).</summary>
    public static (IReadOnlyList<string> Sites, string Target) SitesOf(IUNetDenoiser model) => (model.BlockHooks.SkipLast(1).ToList(), model.BlockHooks[^1]);

    /// <param name="ridge">the ridge penalty as a share of the mean diagonal of XᵀX (keeps rank-deficient levels solvable)</param>
    public static UNetLensTranslators Fit(IUNetDenoiser model, IReadOnlyList<string> prompts, SamplerOptions sampler, double ridge = 1e-4)
    {
        if (prompts.Count == 0) throw new ArgumentException("the lens translators need at least one prompt to fit on", nameof(prompts));
        var (sites, target) = SitesOf(model);
        var device = model.Text.Device;
        var gram = new Dictionary<(string, int), Tensor>();
        var cross = new Dictionary<(string, int), Tensor>();
        using var cache = new ActivationCache();
        try
        {
            using (var scope = NewDisposeScope())
            using (model.Hooks.Scope())
            {
                foreach (var hook in sites.Append(target)) model.Hooks.Add(hook, Hook.Cache(cache));
                var text = model.Text.Encode(prompts, device);
                var nullText = model.Text.Encode(Enumerable.Repeat(TextConditioner.Null, prompts.Count).ToList(), device);
                model.SampleReading(text, nullText, sampler, step =>
                {
                    using var inner = NewDisposeScope();
                    var y = cache[target];
                    var yRows = Rows(y, bias: false).to_type(ScalarType.Float64);
                    foreach (var site in sites)
                    {
                        var x = Rows(Upsampled(cache[site], y.shape[2], y.shape[3]), bias: true).to_type(ScalarType.Float64);
                        Accumulate(gram, (site, step.Index), x.t().mm(x));
                        Accumulate(cross, (site, step.Index), x.t().mm(yRows));
                    }
                });
            }
            var weights = new Dictionary<(string, int), Tensor>();
            foreach (var site in gram.Keys)
            {
                using var scope = NewDisposeScope();
                var g = gram[site];
                var penalty = eye(g.shape[0], dtype: ScalarType.Float64, device: g.device) * Scalars.S(ridge * g.diagonal().mean().item<double>());
                weights[site] = linalg.solve(g + penalty, cross[site]).to_type(ScalarType.Float32).DetachFromDisposeScope();
            }
            Scalars.Release();
            return new UNetLensTranslators(sites, target, weights);
        }
        finally
        {
            foreach (var t in gram.Values.Concat(cross.Values)) t.Dispose();
        }
    }

    /// <summary>A site's activation [B, C, h, w] at a sampling step translated to the head's input [B, C0, H, W].</summary>
    public Tensor Apply(string site, int step, Tensor activation, long height, long width)
    {
        var w = _weights.TryGetValue((site, step), out var found) ? found
            : throw new ArgumentException($"no lens translator for '{site}' at step {step}; the translators decode {string.Join(", ", Sites)} at the sampler's steps", nameof(site));
        var b = activation.shape[0];
        return Rows(Upsampled(activation, height, width), bias: true).mm(w.to(activation.device)).reshape(b, height, width, -1).permute(0, 3, 1, 2);
    }

    /// <summary>A feature map [B, C, h, w] as pixel rows [B h w, C], with a last column of ones (the bias) if asked.</summary>
    static Tensor Rows(Tensor map, bool bias)
    {
        var rows = map.permute(0, 2, 3, 1).reshape(-1, map.shape[1]);
        return bias ? cat([rows, ones(rows.shape[0], 1, dtype: rows.dtype, device: rows.device)], 1) : rows;
    }

    static Tensor Upsampled(Tensor map, long height, long width) =>
        map.shape[2] == height && map.shape[3] == width ? map : nn.functional.interpolate(map, size: [height, width], mode: InterpolationMode.Nearest);

    static void Accumulate(Dictionary<(string, int), Tensor> sums, (string, int) site, Tensor value)
    {
        if (sums.Remove(site, out var old))
        {
            sums[site] = old.add(value).DetachFromDisposeScope();
            old.Dispose();
        }
        else sums[site] = value.clone().DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var w in _weights.Values) w.Dispose();
    }
}
