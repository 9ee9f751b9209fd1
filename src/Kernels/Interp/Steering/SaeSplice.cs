using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Sae;
using static MMInterp.Kernels.Tensors.Scalars;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>How the SAE sits in the forward pass at its hook.</summary>
public enum SpliceMode
{
    /// <summary>x -> decode(f') + (x - decode(f)): the SAE's error is kept, so with nothing edited the model is
    /// unchanged up to float rounding and an edit changes exactly what it names.</summary>
    WithError,
    /// <summary>x -> decode(f'): the reconstruction alone. Its accuracy is the "SAE inserted, nothing clamped"
    /// control: splicing an imperfect SAE in changes the output by itself.</summary>
    ReconstructionOnly,
}

/// <summary>Which tokens a clamp sets.</summary>
public enum ClampScope
{
    /// <summary>Every token of the image (class token included): the feature is written in everywhere.</summary>
    AllTokens,
    /// <summary>Only tokens where the feature already fires (latent &gt; 0): strengthens it where it is.</summary>
    ActiveTokens,
}

/// <summary>Changes latents [B, T, m] (B images, T tokens). Returns a new tensor.</summary>
public delegate Tensor LatentEdit(Tensor latents);

/// <summary>Hook functions that route an activation through an SAE, optionally editing its latents on the way.</summary>
public static class SaeSplice
{
    /// <summary>The splice as a hook function for <see cref="HookRegistry.Add(string, HookFn)"/>.</summary>
    public static HookFn Hook(ISparseAutoencoder sae, SpliceMode mode, LatentEdit? edit = null) => (x, p) =>
    {
        var flat = Rows(sae, x, p);
        var z = sae.Encode(flat);
        var edited = edit is null ? z : edit(z.view(x.shape[0], -1, z.shape[^1])).reshape(z.shape);
        var output = sae.Decode(edited);
        if (mode == SpliceMode.WithError) output = output + (flat - sae.Decode(z));
        return output.reshape(x.shape).to(x.device).to_type(x.dtype);
    };

    /// <summary>The random-direction control of an edit: keeps the activation and adds, at every token, a vector of
    /// the same norm as the change <paramref name="edit"/> would make there (with the error term kept) but pointing
    /// along a given unit direction per image. <paramref name="directions"/> is [B, d], rows of unit norm.</summary>
    public static HookFn EqualNormDirection(ISparseAutoencoder sae, LatentEdit edit, Tensor directions) => (x, p) =>
    {
        var flat = Rows(sae, x, p);
        if (directions.dim() != 2 || directions.shape[0] != x.shape[0] || directions.shape[1] != flat.shape[1])
            throw new ArgumentException($"directions must be [{x.shape[0]}, {flat.shape[1]}] (one per image), got [{string.Join(",", directions.shape)}]", nameof(directions));
        var z = sae.Encode(flat);
        var delta = sae.Decode(edit(z.view(x.shape[0], -1, z.shape[^1])).reshape(z.shape)) - sae.Decode(z);
        var norms = delta.view(x.shape[0], -1, flat.shape[1]).norm(-1, true);
        var steered = flat.view(x.shape[0], -1, flat.shape[1]) + norms * directions.to(flat.device).unsqueeze(1);
        return steered.reshape(x.shape).to(x.device).to_type(x.dtype);
    };

    /// <summary>Adds alpha times feature <paramref name="feature"/>'s decoder direction (in the caller's space) at every
    /// token, without encoding: steering by addition.</summary>
    public static HookFn AddFeature(ISparseAutoencoder sae, int feature, double alpha)
    {
        CheckFeature(sae, feature);
        return (x, p) =>
        {
            using var one = zeros(1, sae.Config.DSae, device: sae.Device);
            one[0, feature] = tensor((float)alpha);
            var direction = sae.Decode(one) - sae.Decode(zeros_like(one));
            return x + direction.to(x.device).to_type(x.dtype).view(-1);
        };
    }

    /// <summary>Sets feature <paramref name="feature"/> to <paramref name="value"/> on the tokens <paramref name="scope"/> names.</summary>
    public static LatentEdit Clamp(ISparseAutoencoder sae, int feature, double value, ClampScope scope = ClampScope.AllTokens)
    {
        CheckFeature(sae, feature);
        return z => ClampRowsCore(z, Enumerable.Repeat((long)feature, (int)z.shape[0]).ToArray(), Enumerable.Repeat((float)value, (int)z.shape[0]).ToArray(), scope);
    }

    /// <summary>Image b of the batch gets feature features[b] clamped to values[b] (-1: no clamp); many features are
    /// steered in one forward pass over a batch that repeats the images.</summary>
    public static LatentEdit ClampRows(ISparseAutoencoder sae, long[] features, float[] values, ClampScope scope = ClampScope.AllTokens)
    {
        if (features.Length != values.Length) throw new ArgumentException($"features ({features.Length}) and values ({values.Length}) must have one entry per image", nameof(values));
        foreach (var f in features)
            if (f != -1) CheckFeature(sae, (int)f);
        return z =>
        {
            if (z.shape[0] != features.Length) throw new ArgumentException($"the edit names {features.Length} images but the batch has {z.shape[0]}");
            return ClampRowsCore(z, features, values, scope);
        };
    }

    /// <summary><paramref name="edit"/> on the selected <paramref name="tokens"/> of latents [B, T, m] only; the other tokens
    /// keep their latents, so with the error term kept they pass unchanged.</summary>
    public static LatentEdit OnTokens(LatentEdit edit, TokenSelection tokens, string hook)
    {
        if (tokens == TokenSelection.All) return edit;
        return z =>
        {
            var (start, count) = tokens.Range(z.shape[1], hook);
            var output = z.clone();
            output.narrow(1, start, count).copy_(edit(z.narrow(1, start, count).contiguous()));
            return output;
        };
    }

    /// <summary>Zeroes the given features on every token (ablation, e.g. of text-reading features).</summary>
    public static LatentEdit Zero(ISparseAutoencoder sae, IReadOnlyCollection<int> features)
    {
        foreach (var f in features) CheckFeature(sae, f);
        var index = features.Select(f => (long)f).ToArray();
        return z =>
        {
            if (index.Length == 0) return z;
            var keep = ones(z.shape[^1], dtype: z.dtype, device: z.device);
            keep.index_fill_(0, tensor(index, device: z.device), S(0.0));
            return z * keep;
        };
    }

    /// <summary>Sets each of <paramref name="features"/> to the matching entry of <paramref name="values"/> on every token.</summary>
    public static LatentEdit SetTo(ISparseAutoencoder sae, IReadOnlyList<int> features, IReadOnlyList<float> values)
    {
        if (features.Count != values.Count) throw new ArgumentException($"{features.Count} features but {values.Count} values", nameof(values));
        foreach (var f in features) CheckFeature(sae, f);
        var m = sae.Config.DSae;
        var mask = new bool[m];
        var target = new float[m];
        for (var i = 0; i < features.Count; i++) { mask[features[i]] = true; target[features[i]] = values[i]; }
        return z => features.Count == 0 ? z : where(tensor(mask, device: z.device), tensor(target, device: z.device).to_type(z.dtype), z);
    }

    static Tensor ClampRowsCore(Tensor z, long[] features, float[] values, ClampScope scope)
    {
        var m = z.shape[^1];
        var device = z.device;
        var active = tensor(features.Select(f => f >= 0).ToArray(), device: device);
        var mask = nn.functional.one_hot(tensor(features.Select(f => Math.Max(f, 0)).ToArray(), device: device), m)
            .to_type(ScalarType.Bool).logical_and(active.unsqueeze(1)).unsqueeze(1); // [B, 1, m]
        if (scope == ClampScope.ActiveTokens) mask = mask.logical_and(z.gt(S(0.0)));
        var target = tensor(values, device: device).to_type(z.dtype).view(-1, 1, 1);
        return where(mask, target, z);
    }

    static Tensor Rows(ISparseAutoencoder sae, Tensor x, HookPoint p)
    {
        if (x.shape[^1] != sae.Config.DIn)
            throw new ArgumentException($"SAE expects width {sae.Config.DIn} but '{p.Name}' has width {x.shape[^1]}: the SAE was trained on another hook or model");
        return x.reshape(-1, x.shape[^1]).to(sae.Device).to_type(ScalarType.Float32);
    }

    static void CheckFeature(ISparseAutoencoder sae, int feature)
    {
        if (feature < 0 || feature >= sae.Config.DSae)
            throw new ArgumentException($"feature {feature} is out of range: the SAE has {sae.Config.DSae} features", nameof(feature));
    }
}
