using System.Diagnostics;
using System.Text.Json;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>
/// Trains the zoo VLM on LLaVA's architecture (vlm-zoo/6-7, <see cref="ZooLlava"/>): the zoo CLIP's tower frozen, the
/// projector and the Llama decoder learning the answer token of ShapesWorld questions (plus the auxiliary per-patch
/// shape/colour loss on the decoder's image positions, as vlm-zoo/5); measured on the held-out seed; saved in HF's
/// layout with the word vocabulary and zoo.json.
/// </summary>
public sealed class LlavaZooTrainer
{
    readonly VlmZooConfig _config;

    public LlavaZooTrainer(VlmZooConfig config)
    {
        _config = config.Validate();
        if (!config.IsLlava) throw new ArgumentException($"{nameof(LlavaZooTrainer)} trains the '{VlmZooConfig.LlavaArchitecture}' architecture, the config has '{config.Architecture ?? "null"}'");
        if (config.VisionLearningRateScale != 0 || !config.InitFromClip)
            throw new ArgumentException("a zoo LLaVA keeps the zoo CLIP's tower frozen (InitFromClip on, VisionLearningRateScale 0)");
    }

    public VlmZooResult Build(string outputDirectory, Action<double, string>? progress = null, Device? device = null,
        CancellationToken cancel = default, string? clipDirectory = null)
    {
        var (model, seconds, clipSeconds, loss) = Train(progress, device, cancel, clipDirectory);
        using (model)
        {
            progress?.Invoke(0.97, "evaluating");
            var metrics = VlmEvaluator.Evaluate(model, model.Vocabulary, _config.EvalSeed, _config.EvalImages, _config.World);
            ZooLlavaCheckpoint.Save(model, outputDirectory);
            File.WriteAllText(Path.Combine(outputDirectory, "zoo.json"), JsonSerializer.Serialize(
                new { kind = "vlm", architecture = _config.Architecture, config = _config, metrics, train_seconds = seconds, clip_seconds = clipSeconds, final_loss = loss },
                new JsonSerializerOptions { WriteIndented = true }));
            progress?.Invoke(1.0, "saved");
            var files = new[] { LlavaCheckpoint.ConfigFile, HfWeightFiles.SingleFile, VlmVocabulary.FileName, Images.ClipImageProcessor.FileName, "zoo.json" }
                .Select(f => Path.Combine(outputDirectory, f)).ToList();
            return new VlmZooResult(_config, metrics, outputDirectory, files, seconds, clipSeconds, loss);
        }
    }

    /// <summary>The LLaVA config this recipe builds: the zoo CLIP's whole tower, read after its last block minus DropVisionLayers.</summary>
    public static LlavaConfig ModelConfig(VlmZooConfig c, VlmVocabulary vocabulary) =>
        ZooLlava.Config(c.Clip.ModelConfig(2, 1, 0).Vision, -1 - c.DropVisionLayers, vocabulary, c.LmWidth, c.LmLayers, c.LmHeads, maxQuestionTokens: 10);

    /// <summary>Trains only; the caller owns the returned model.</summary>
    public (ZooLlava Model, double Seconds, double ClipSeconds, double FinalLoss) Train(
        Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default, string? clipDirectory = null)
    {
        var c = _config;
        torch.set_num_threads(c.Threads);
        var dev = device ?? CPU;
        var vocabulary = ZooLlava.WordVocabulary(c.QuestionMark);
        var (llava, heads) = TorchRuntime.Seeded(c.Seed, () =>
            (new LlavaForConditionalGeneration(ModelConfig(c, vocabulary)), c.PatchAttributeWeight > 0 ? new PatchAttributeHeads(c.LmWidth, c.PatchFill) : null));
        var model = new ZooLlava(llava, vocabulary);
        using var ownedHeads = heads;
        try
        {
            var clipClock = Stopwatch.StartNew();
            var vlmShare = 0.95;
            if (clipDirectory is not null)
            {
                using var clip = ClipCheckpoint.Load(clipDirectory).Model;
                model.LoadVisionFrom(clip);
            }
            else
            {
                var (clip, _, _, _) = new ClipZooTrainer(c.Clip).Train((p, note) => progress?.Invoke(0.25 * p, $"CLIP {note}"), dev, cancel);
                using (clip) model.LoadVisionFrom(clip);
                vlmShare = 0.7;
            }
            var clipSeconds = clipClock.Elapsed.TotalSeconds;
            torch.set_num_threads(c.Threads);
            var (seconds, loss) = Loop(model, heads, dev, 0.95 - vlmShare, vlmShare, progress, cancel);
            return (model, seconds, clipSeconds, loss);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    (double Seconds, double Loss) Loop(ZooLlava model, PatchAttributeHeads? heads, Device dev, double progressStart, double share,
        Action<double, string>? progress, CancellationToken cancel)
    {
        var c = _config;
        var llava = model.Model;
        llava.to(dev);
        llava.train();
        foreach (var p in llava.VisionTower.parameters()) p.requires_grad = false;
        static bool Decayed(string name, Tensor p) => p.dim() >= 2 && !name.Contains("embed");
        var trained = llava.named_parameters().Where(p => !p.name.StartsWith("vision_tower.", StringComparison.Ordinal)).ToList();
        heads?.to(dev);
        using var optimizer = new AdamW(trained.Concat(heads?.named_parameters() ?? [])
            .Select(p => (p.parameter, Decayed(p.name, p.parameter) ? c.WeightDecay : 0.0)), beta2: 0.98);
        using var hookScope = model.Hooks.Scope();
        Tensor? supervised = null;
        // The decoder's forward disposes what it made when it returns: the image positions are kept out of its scope (and freed each step).
        if (heads is not null)
            model.Hooks.Add($"lm.blocks.{c.PatchAttributeLayer}.hook_resid_post", (x, _) =>
            {
                supervised = x.narrow(1, model.ImageStart, model.ImageTokenCount).DetachFromDisposeScope();
                return x;
            });
        var world = new ShapesWorldGenerator(c.World);
        var warmup = Math.Max(1, (int)(c.Steps * c.WarmupFraction));
        var clock = Stopwatch.StartNew();
        var smoothed = double.NaN;
        for (var step = 0; step < c.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            optimizer.LearningRate = WarmupCosine.Rate(c.LearningRate, step, c.Steps, warmup);
            using var batch = world.Batch(c.Seed, (long)step * c.BatchSize, c.BatchSize, dev);
            var questions = batch.Scenes.Select(s => VlmQuestions.Pick(s, c.ColourShare, c.ShapeShare)).ToList();
            var (ids, lengths) = model.Vocabulary.EncodeBatch(questions.Select(q => q.Question).ToList(), model.MaxQuestionTokens, dev);
            var answers = tensor(questions.Select(q => (long)model.Vocabulary.Id(q.Answer)).ToArray(), device: dev);
            optimizer.ZeroGrad();
            // The frozen tower needs no autograd graph.
            Tensor patches;
            using (no_grad()) patches = model.PatchStates(batch.Images);
            var imageTokens = llava.Projector.Forward(patches);
            var logits = model.AnswerLogitsFromTokens(imageTokens, ids, lengths);
            var loss = nn.functional.cross_entropy(logits, answers);
            using var kept = supervised;
            var objective = heads is null ? loss : loss + heads.Loss(
                supervised!,
                PatchAttributes.Labels(batch, ObjectAttribute.Shape, model.PatchSize),
                PatchAttributes.Labels(batch, ObjectAttribute.Colour, model.PatchSize),
                c.PatchFill ? PatchAttributes.Labels(batch, ObjectAttribute.Fill, model.PatchSize) : null).mul(Scalars.S(c.PatchAttributeWeight));
            objective.backward();
            optimizer.ClipGradNorm(1.0);
            optimizer.Step();
            var value = loss.item<float>();
            if (!float.IsFinite(value)) throw new InvalidOperationException($"VLM training diverged at step {step + 1} (loss {value}); lower LearningRate");
            Scalars.Release();
            smoothed = double.IsNaN(smoothed) ? value : 0.97 * smoothed + 0.03 * value;
            if (step % 20 == 0 || step == c.Steps - 1)
                progress?.Invoke(progressStart + share * (step + 1) / c.Steps, $"step {step + 1}/{c.Steps} loss {smoothed:F3} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        llava.eval();
        return (clock.Elapsed.TotalSeconds, smoothed);
    }
}
