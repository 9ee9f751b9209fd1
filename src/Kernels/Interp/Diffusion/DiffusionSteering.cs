using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>Feature steering during diffusion sampling. Per level, each colour's steering feature is the timestep SAE's
/// feature that best detects images captioned with that colour (AUROC of its per-image peak). Prompts naming another
/// colour are then sampled while, at every step in a window, the feature's decoder direction (scaled to Strength times
/// its typical peak) is added at every token of the hook, using the SAE of the level nearest the step's noise level.
/// The classifier reads the colour of the result. Additive steering splices no SAE in, so the "SAE inserted, nothing
/// clamped" control of DESIGN §9 is the unsteered run itself.</summary>
public static class DiffusionSteering
{
    static readonly int Colours = AttributeWords.Count(ObjectAttribute.Colour);

    public static DiffusionSteeringResult Run(IZooDenoiser bundle, TimestepSaeSet saes, DiffusionSteeringConfig config, Action<double, string>? progress = null)
    {
        var c = config.Validate();
        saes.CheckAgainst(bundle);
        var device = bundle.Text.Device;
        progress?.Invoke(0, "choosing features");
        var (features, vectors) = ChooseFeatures(bundle, saes, c);
        using var _v = vectors;
        using var randoms = RandomLike(vectors, c.Seed);
        var (targets, scenes) = Prompts(bundle.ImageSize, c);
        // Per row, the vector of its target colour at every level: [levels, rows, d].
        using var index = tensor(targets.Select(t => (long)t).ToArray());
        using var rowVectors = vectors.index_select(1, index).to(device);
        using var rowRandoms = randoms.index_select(1, index).to(device);
        var sampler = bundle.Sampler(c.Seed);
        sampler = sampler with { Steps = c.SampleSteps > 0 ? c.SampleSteps : sampler.Steps };
        var conditions = 1 + 2 * c.Windows.Count;
        progress?.Invoke(0.1, "unsteered");
        // The sampler's own noise levels, step by step (each model maps its schedule onto [0, 1]).
        var schedule = new List<double>();
        var (plain, plainPictures) = Generate(bundle, saes, scenes, targets, null, SteeringWindow.All, sampler, c, schedule);
        var windows = new List<SteeringWindowResult>();
        List<float[]>? steeredPictures = null, randomPictures = null;
        for (var w = 0; w < c.Windows.Count; w++)
        {
            var window = c.Windows[w];
            progress?.Invoke(0.1 + 0.9 * (1 + 2 * w) / conditions, $"window {window.Name}: feature");
            var (steered, sp) = Generate(bundle, saes, scenes, targets, rowVectors, window, sampler, c);
            progress?.Invoke(0.1 + 0.9 * (2 + 2 * w) / conditions, $"window {window.Name}: random direction");
            var (random, rp) = Generate(bundle, saes, scenes, targets, rowRandoms, window, sampler, c);
            if (w == 0) (steeredPictures, randomPictures) = (sp, rp);
            windows.Add(new SteeringWindowResult(window, schedule.Count(window.Contains),
                Outcome(steered, targets, scenes), Outcome(random, targets, scenes)));
        }
        var pictures = new List<SteeringPicture>();
        for (int row = 0, k = 0; row < targets.Length; row++)
            if (row % c.PromptsPerColour < c.Pictured)
            {
                pictures.Add(new SteeringPicture(targets[row], Captions.Describe(scenes[row]), plainPictures[k], steeredPictures![k], randomPictures![k]));
                k++;
            }
        Scalars.Release();
        return new DiffusionSteeringResult(saes.Hook, saes.Timesteps, c.Strength, targets.Length, features,
            Outcome(plain, targets, scenes), windows, pictures, bundle.ImageSize);
    }

    /// <summary>Per level and colour: the best-detecting feature and the vector to add, [levels, colours, d] on the CPU.</summary>
    public static (IReadOnlyList<ColourFeature> Features, Tensor Vectors) ChooseFeatures(IZooDenoiser bundle, TimestepSaeSet saes, DiffusionSteeringConfig config)
    {
        using var acts = TimestepSaes.Collect(bundle, saes.Hook, saes.Timesteps, config.SelectionImages, config.Seed + 1, CaptionConditioning.Caption);
        var labels = TimestepSaes.Labels(acts.Scenes, ObjectAttribute.Colour);
        var chosen = new List<ColourFeature>();
        var vectors = new List<Tensor>();
        for (var level = 0; level < saes.Timesteps.Count; level++)
        {
            var t = saes.Timesteps[level];
            var sae = saes[level];
            var scores = TimestepSaes.PerImageMax(sae, acts.ByLevel[t]);
            var auroc = Auroc.Matrix(scores, labels);
            for (var colour = 0; colour < Colours; colour++)
            {
                var f = TimestepSaes.BestFeature(auroc, colour);
                if (f < 0) throw new InvalidOperationException($"no selection image shows colour {AttributeWords.Colours[colour]}: raise SelectionImages");
                double sum = 0;
                var n = 0;
                for (var i = 0; i < scores.GetLength(0); i++)
                    if (labels[i, colour]) { sum += scores[i, f]; n++; }
                var peak = sum / n;
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var one = zeros(1, sae.Config.DSae, device: sae.Device);
                one[0, f] = tensor((float)(config.Strength * peak));
                var vector = (sae.Decode(one) - sae.Decode(zeros_like(one))).view(-1).cpu();
                var norm = vector.norm().item<float>();
                if (!(norm > 0) || !float.IsFinite(norm))
                    throw new InvalidOperationException($"feature {f} of the t={t} SAE gives a steering vector of norm {norm} (it never fires on {AttributeWords.Colours[colour]} images or the SAE is broken)");
                vectors.Add(vector.MoveToOuterDisposeScope());
                chosen.Add(new ColourFeature(colour, AttributeWords.Colours[colour], t, f, auroc[f, colour], peak, norm));
            }
        }
        var all = stack(vectors, 0).view(saes.Timesteps.Count, Colours, -1);
        foreach (var v in vectors) v.Dispose();
        Scalars.Release();
        return (chosen, all);
    }

    /// <summary>Seeded random directions with each vector's norm.</summary>
    static Tensor RandomLike(Tensor vectors, long seed)
    {
        using var scope = NewDisposeScope();
        var r = randn(vectors.shape, generator: new Generator((ulong)seed + 17));
        r = r / r.norm(-1, true) * vectors.norm(-1, true);
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>PromptsPerColour held-out scenes per target colour, each of another colour; rows grouped by target.</summary>
    static (int[] Targets, Scene[] Scenes) Prompts(int imageSize, DiffusionSteeringConfig c)
    {
        var pool = DiffusionEvaluator.PromptScenes(imageSize, c.Seed, 4 * c.PromptsPerColour + 16);
        var targets = new List<int>();
        var scenes = new List<Scene>();
        for (var colour = 0; colour < Colours; colour++)
        {
            var others = pool.Where(s => (int)s.Objects[0].Colour != colour).Take(c.PromptsPerColour).ToList();
            if (others.Count < c.PromptsPerColour) throw new InvalidOperationException("too few held-out prompts of other colours");
            targets.AddRange(Enumerable.Repeat(colour, others.Count));
            scenes.AddRange(others);
        }
        return (targets.ToArray(), scenes.ToArray());
    }

    /// <summary>Samples every row's prompt (batches seeded by seed + batch start, so every condition sees the same noise),
    /// adding vectors[level(t), row] at the hook on steps inside the window; returns the classified colour per row and
    /// the pictured rows' images. <paramref name="levels"/>, when given, receives the first batch's step levels.</summary>
    static (float[][] Colour, List<float[]> Pictures) Generate(IZooDenoiser model, TimestepSaeSet saes, Scene[] scenes, int[] targets,
        Tensor? vectors, SteeringWindow window, SamplerOptions sampler, DiffusionSteeringConfig c, List<double>? levels = null)
    {
        var device = model.Text.Device;
        var colours = new float[scenes.Length][];
        var pictures = new List<float[]>();
        for (var start = 0; start < scenes.Length; start += c.BatchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(c.BatchSize, scenes.Length - start);
            var text = model.Text.Encode(scenes.Skip(start).Take(n).Select(Captions.Describe).ToList(), device);
            var nullText = model.Text.Encode(Enumerable.Repeat(TextConditioner.Null, n).ToList(), device);
            Tensor? current = null;
            Tensor images;
            using (model.Hooks.Scope())
            {
                if (vectors is not null)
                    model.Hooks.Add(saes.Hook, (x, _) =>
                    {
                        if (current is null) return x;
                        var rows = x.shape[0];
                        var add = rows == n ? current : rows == 2 * n ? cat([current, current], 0)
                            : throw new InvalidOperationException($"hook '{saes.Hook}' saw {rows} rows, expected {n} or {2 * n}");
                        return AtEveryToken(saes.Hook, x, add.to_type(x.dtype));
                    });
                var first = start == 0;
                images = model.Sample(text, nullText, sampler with { Seed = sampler.Seed + start }, beforeStep: t =>
                {
                    if (first) levels?.Add(t);
                    current = vectors is not null && window.Contains(t) ? vectors[saes.Nearest(t)].narrow(0, start, n) : null;
                });
            }
            using (no_grad())
            {
                var probabilities = model.Classifier.Logits(images.to(model.Classifier.parameters().First().device))[ObjectAttribute.Colour].softmax(-1).cpu();
                for (var i = 0; i < n; i++) colours[start + i] = probabilities[i].cpu().data<float>().ToArray();
            }
            for (var i = 0; i < n; i++)
                if ((start + i) % c.PromptsPerColour < c.Pictured) pictures.Add(images[i].cpu().contiguous().data<float>().ToArray());
            Scalars.Release();
        }
        return (colours, pictures);
    }

    /// <summary>x plus one vector per row [rows, d] at every token, in the layout the SAEs read it
    /// (<see cref="IZooDenoiser.Tokens"/>): a U-Net's feature map [B, C, h, w] takes it per channel, a residual stream
    /// [B, T, d] or per-head output [B, T, H, dh] per token.</summary>
    static Tensor AtEveryToken(string hook, Tensor x, Tensor add) =>
        x.dim() == 4 && !hook.EndsWith(".hook_z", StringComparison.Ordinal)
            ? x + add.view(add.shape[0], add.shape[1], 1, 1)
            : (x.reshape(x.shape[0], x.shape[1], -1) + add.unsqueeze(1)).reshape(x.shape);

    /// <param name="probabilities">per row, the classifier's colour probabilities</param>
    static SteeringOutcome Outcome(float[][] probabilities, int[] targets, Scene[] scenes)
    {
        var predicted = probabilities.Select(p => (long)Array.IndexOf(p, p.Max())).ToArray();
        var perColour = Enumerable.Range(0, Colours).Select(colour =>
        {
            var rows = Enumerable.Range(0, targets.Length).Where(r => targets[r] == colour).ToList();
            return rows.Count == 0 ? double.NaN : rows.Count(r => predicted[r] == colour) / (double)rows.Count;
        }).ToList();
        var success = Enumerable.Range(0, targets.Length).Count(r => predicted[r] == targets[r]) / (double)targets.Length;
        var kept = Enumerable.Range(0, targets.Length).Count(r => predicted[r] == (long)scenes[r].Objects[0].Colour) / (double)targets.Length;
        var probability = Enumerable.Range(0, targets.Length).Average(r => (double)probabilities[r][targets[r]]);
        return new SteeringOutcome(success, perColour, kept, probability);
    }
}
