using System.Text.Json;
using System.Text.Json.Serialization;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

public sealed record TimestepExtractionConfig
{
    public required IReadOnlyList<string> Hooks { get; init; }
    /// <summary>Noise levels in [0, 1] (1 = pure noise).</summary>
    public required IReadOnlyList<double> Timesteps { get; init; }
    public long Seed { get; init; } = 3_000_017;
    public int Images { get; init; } = 256;
    /// <summary>Index of the first image (a shard of a sharded extraction starts past 0).</summary>
    public long Start { get; init; }
    /// <summary>The text the denoiser reads (default: the null caption, so that everything the activations know about the
    /// image came through the noisy pixels).</summary>
    public CaptionConditioning Conditioning { get; init; }
    /// <summary>A user's prompts for the captioned rows instead of each scene's own caption, in turn (row i reads prompt
    /// i mod count); null: the scenes' captions.</summary>
    public IReadOnlyList<string>? Prompts { get; init; }
    public int BatchSize { get; init; } = 64;

    public TimestepExtractionConfig Validate(HookRegistry hooks)
    {
        if (Hooks.Count == 0) throw new ArgumentException("Hooks must name at least one hook point", nameof(Hooks));
        foreach (var h in Hooks)
        {
            if (!hooks.Contains(h))
                throw new ArgumentException($"Hooks: '{h}' is not a denoiser hook point; e.g. {string.Join(", ", hooks.Names.Take(4))}", nameof(Hooks));
            if (h.EndsWith("hook_pattern", StringComparison.Ordinal))
                throw new ArgumentException($"Hooks: '{h}' is an attention pattern, not a per-token activation; extract hook_z instead", nameof(Hooks));
        }
        if (Timesteps.Count == 0 || Timesteps.Any(t => !(t >= 0 && t <= 1)))
            throw new ArgumentException($"Timesteps must be noise levels in [0, 1], got [{string.Join(", ", Timesteps)}]", nameof(Timesteps));
        if (Timesteps.Distinct().Count() != Timesteps.Count) throw new ArgumentException("Timesteps must be distinct", nameof(Timesteps));
        if (Images < 1) throw new ArgumentException($"Images must be positive, got {Images}", nameof(Images));
        if (Start < 0) throw new ArgumentException($"Start must be non-negative, got {Start}", nameof(Start));
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be positive, got {BatchSize}", nameof(BatchSize));
        UserPrompts.Check(Prompts);
        if (!Enum.IsDefined(Conditioning)) throw new ArgumentException($"Conditioning {(int)Conditioning} is not one of {string.Join(", ", Enum.GetNames<CaptionConditioning>())}", nameof(Conditioning));
        return this;
    }
}

/// <summary>One (hook, timestep, conditioning) activation set on disk; manifests written before conditioning could be
/// chosen lack it and read as the null caption, which is what they hold.</summary>
public sealed record TimestepActivationSet(string Hook, double T, string Directory, long Rows, int D,
    CaptionConditioning Conditioning = CaptionConditioning.Null)
{
    [JsonIgnore] public TimestepKey Key => new(Hook, T, Conditioning);
}

/// <summary>Timestep-resolved activations of the denoiser on held-out single-object images noised to each level (the
/// same noise per image at every level). Rows are tokens ([images * tokens, d]), as for the CLIP extractor; hook_z is
/// flattened over heads.</summary>
public static class TimestepActivations
{
    public const string ManifestFile = "timesteps.json";

    /// <summary>Runs the denoiser once per (batch, timestep) and hands each hook's [B, tokens, d] activation to <paramref name="sink"/>.</summary>
    public static void Run(IZooDenoiser model, TimestepExtractionConfig config, Action<TimestepKey, Tensor, ShapesBatch> sink)
    {
        var c = config.Validate(model.Hooks);
        var device = model.Text.Device;
        var world = new ShapesWorldGenerator(ShapesWorldConfig.SingleObject(model.ImageSize));
        using var _ = no_grad();
        for (var start = 0; start < c.Images; start += c.BatchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(c.BatchSize, c.Images - start);
            using var batch = world.Batch(c.Seed, c.Start + start, n, device);
            var x0 = model.CleanInput(batch.Images);
            var eps = randn(x0.shape, generator: new Generator((ulong)(c.Seed + c.Start + start), device), device: device);
            var captions = batch.Scenes.Select((scene, i) => !c.Conditioning.IsCaptioned(c.Start + start + i) ? TextConditioner.Null
                : c.Prompts is { } prompts ? prompts[(int)((c.Start + start + i) % prompts.Count)] : Captions.Describe(scene)).ToList();
            var text = model.Text.Encode(captions, device);
            foreach (var t in c.Timesteps)
            {
                using var inner = NewDisposeScope();
                var tt = full([n], Scalars.S(t), device: device);
                using var cache = new ActivationCache();
                using (model.Hooks.Scope())
                {
                    foreach (var h in c.Hooks) model.Hooks.Add(h, Hook.Cache(cache));
                    model.Forward(model.Noise(x0, tt, eps), tt, text);
                }
                foreach (var h in c.Hooks) sink(new TimestepKey(h, t, c.Conditioning), model.Tokens(h, cache[h]), batch);
            }
        }
        Scalars.Release();
    }

    /// <summary>Per-image features in memory, [images, 2d]: each (hook, t) activation averaged over the object's tokens
    /// (weighted by the share of the patch the object covers, from the ground-truth mask), then over all tokens.
    /// A small object covers few tokens; a plain mean would dilute what they hold.</summary>
    public static Dictionary<TimestepKey, Tensor> Pooled(IZooDenoiser model, TimestepExtractionConfig config)
    {
        var parts = new Dictionary<TimestepKey, List<Tensor>>();
        Run(model, config, (key, a, batch) =>
        {
            if (!parts.TryGetValue(key, out var list)) parts[key] = list = [];
            list.Add(PoolOverObject(a, batch.Mask, Patch(model.ImageSize, a.shape[1], key.Hook)).cpu().DetachFromDisposeScope());
        });
        return parts.ToDictionary(kv => kv.Key, kv =>
        {
            var all = cat(kv.Value, 0);
            foreach (var t in kv.Value) t.Dispose();
            return all;
        });
    }

    /// <summary>The pixel patch one of <paramref name="tokens"/> tokens on a square grid over a side-S image covers.</summary>
    public static int Patch(int imageSize, long tokens, string hook)
    {
        var side = (int)Math.Round(Math.Sqrt(tokens));
        if (side < 1 || side * side != tokens || imageSize % side != 0)
            throw new ArgumentException($"hook '{hook}' gives {tokens} tokens, not a square grid dividing the {imageSize}x{imageSize} image");
        return imageSize / side;
    }

    /// <summary>[B, tokens, d] -> [B, 2d]: mean over the first object's tokens (coverage-weighted), then the plain mean.</summary>
    public static Tensor PoolOverObject(Tensor tokens, Tensor mask, int patchSize)
    {
        var cover = nn.functional.avg_pool2d(mask.eq(Scalars.S(1L)).to_type(ScalarType.Float32).unsqueeze(1), patchSize).flatten(1); // [B, tokens]
        var weights = cover / (cover.sum([1], keepdim: true) + Scalars.S(1e-6));
        var onObject = (tokens * weights.to(tokens.device).unsqueeze(2)).sum([1]);
        return cat([onObject, tokens.mean([1])], 1);
    }

    /// <summary>Writes one activation set per (hook, timestep) under <paramref name="directory"/>/hook/t0.500/ (t0.500-caption when
    /// captioned; shards + index.json whose hook name is the timestep key) and a timesteps.json manifest listing them.</summary>
    public static IReadOnlyList<TimestepActivationSet> Extract(IZooDenoiser model, TimestepExtractionConfig config, string directory, long shardRows = 4096)
    {
        var writers = new Dictionary<TimestepKey, ActivationSetWriter>();
        try
        {
            Run(model, config, (key, a, _) =>
            {
                if (!writers.TryGetValue(key, out var writer))
                    writers[key] = writer = new ActivationSetWriter(Path.Combine(directory, key.RelativeDirectory), key.Name, (int)a.shape[2], shardRows);
                writer.Append(a.reshape(-1, a.shape[2]));
            });
            var sets = writers.Select(kv =>
            {
                var index = kv.Value.Complete();
                return new TimestepActivationSet(kv.Key.Hook, kv.Key.T, kv.Key.RelativeDirectory, index.TotalRows, index.D, kv.Key.Conditioning);
            }).ToList();
            AtomicFile.WriteAllText(Path.Combine(directory, ManifestFile), JsonSerializer.Serialize(sets, new JsonSerializerOptions { WriteIndented = true }));
            return sets;
        }
        finally
        {
            foreach (var w in writers.Values) w.Dispose();
        }
    }

    /// <summary>Reads timesteps.json back; each entry's directory is relative to <paramref name="directory"/>.</summary>
    public static IReadOnlyList<TimestepActivationSet> ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"'{directory}' has no {ManifestFile}: not a timestep-resolved extraction", path);
        return JsonSerializer.Deserialize<List<TimestepActivationSet>>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"'{path}' is empty");
    }

    /// <summary>The reader of one (hook, timestep, conditioning) set of an extraction: a `diffusion extract` directory
    /// (timesteps.json) written before extraction became a job, or a registered activation set's directory, which holds
    /// a directory per key named by the key (<see cref="TimestepKey.Name"/>).</summary>
    public static ActivationSetReader Open(string directory, TimestepKey key)
    {
        if (!File.Exists(Path.Combine(directory, ManifestFile)))
            return Directory.Exists(Path.Combine(directory, key.Name)) ? new ActivationSetReader(Path.Combine(directory, key.Name))
                : throw new ArgumentException($"no activation set for {key} in '{directory}'");
        var entry = ReadManifest(directory).FirstOrDefault(s => s.Hook == key.Hook && Math.Abs(s.T - key.T) < 1e-9 && s.Conditioning == key.Conditioning)
            ?? throw new ArgumentException($"no activation set for {key} in '{directory}'");
        return new ActivationSetReader(Path.Combine(directory, entry.Directory));
    }

    /// <summary>The conditioning the extraction in <paramref name="directory"/> read <paramref name="hook"/> under (the
    /// first found); the null caption when it holds none of that hook's keys.</summary>
    public static CaptionConditioning ConditioningOf(string directory, string hook)
    {
        if (File.Exists(Path.Combine(directory, ManifestFile)))
            return ReadManifest(directory).FirstOrDefault(s => s.Hook == hook)?.Conditioning ?? CaptionConditioning.Null;
        foreach (var sub in Directory.EnumerateDirectories(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            if (TimestepKey.TryParse(sub!, out var key) && key.Hook == hook) return key.Conditioning;
        return CaptionConditioning.Null;
    }
}
