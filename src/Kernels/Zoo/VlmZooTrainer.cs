using System.Diagnostics;
using System.Text.Json;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>Trains the tiny VLM on ShapesWorld question/answer pairs (loss on the answer token only), measures it on a
/// held-out seed and writes vlm_config.json, model.safetensors, vocab.json and zoo.json.</summary>
public sealed class VlmZooTrainer(VlmZooConfig config)
{
    readonly VlmZooConfig _config = config.Validate();

    /// <summary>Trains (after the initial CLIP, unless <paramref name="clipDirectory"/> holds it already), evaluates and saves.</summary>
    /// <param name="clipDirectory">a trained zoo CLIP of <see cref="VlmZooConfig.Clip"/> (skips training it here)</param>
    public VlmZooResult Build(string outputDirectory, Action<double, string>? progress = null, Device? device = null,
        CancellationToken cancel = default, string? clipDirectory = null)
    {
        var (model, vocabulary, seconds, clipSeconds, loss) = Train(progress, device, cancel, clipDirectory);
        using (model)
        {
            progress?.Invoke(0.97, "evaluating");
            var metrics = VlmEvaluator.Evaluate(model, vocabulary, _config.EvalSeed, _config.EvalImages, _config.World);
            VlmCheckpoint.Save(model, vocabulary, outputDirectory);
            File.WriteAllText(Path.Combine(outputDirectory, "zoo.json"), JsonSerializer.Serialize(
                new { kind = "vlm", config = _config, metrics, train_seconds = seconds, clip_seconds = clipSeconds, final_loss = loss },
                new JsonSerializerOptions { WriteIndented = true }));
            progress?.Invoke(1.0, "saved");
            var files = new[] { VlmCheckpoint.ConfigFile, VlmCheckpoint.WeightsFile, VlmVocabulary.FileName, "zoo.json" }
                .Select(f => Path.Combine(outputDirectory, f)).ToList();
            return new VlmZooResult(_config, metrics, outputDirectory, files, seconds, clipSeconds, loss);
        }
    }

    /// <summary>Trains only; the caller owns the returned model. Seconds count the VLM phase, ClipSeconds the CLIP phase.</summary>
    public (VlmModel Model, VlmVocabulary Vocabulary, double Seconds, double ClipSeconds, double FinalLoss) Train(
        Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default, string? clipDirectory = null)
    {
        var c = _config;
        torch.set_num_threads(c.Threads);
        var dev = device ?? CPU;
        var vocabulary = VlmQuestions.Vocabulary(c.QuestionMark);
        // The auxiliary read-outs are drawn right after the model, whether or not a CLIP is trained below.
        var (model, heads) = TorchRuntime.Seeded(c.Seed, () =>
            (new VlmModel(c.ModelConfig(vocabulary.Count)), c.PatchAttributeWeight > 0 ? new PatchAttributeHeads(c.LmWidth) : null));
        using var ownedHeads = heads;
        var clipSeconds = 0.0;
        var vlmShare = 0.95;
        if (c.InitFromClip)
        {
            var clipClock = Stopwatch.StartNew();
            if (clipDirectory is not null)
            {
                using var clip = ClipCheckpoint.Load(clipDirectory).Model;
                model.LoadVisionFrom(clip);
            }
            else
            {
                // The CLIP phase takes about a quarter of the progress bar.
                var (clip, _, _, _) = new ClipZooTrainer(c.Clip).Train((p, note) => progress?.Invoke(0.25 * p, $"CLIP {note}"), dev, cancel);
                using (clip) model.LoadVisionFrom(clip);
                vlmShare = 0.7;
            }
            clipSeconds = clipClock.Elapsed.TotalSeconds;
            torch.set_num_threads(c.Threads);
        }
        var progressStart = 0.95 - vlmShare;
        model.to(dev);
        model.train();
        var world = new ShapesWorldGenerator(c.World);
        static bool Decayed(string name, Tensor p) => p.dim() >= 2 && !name.Contains("embedding");
        static bool Vision(string name) => name.StartsWith("vision_model.", StringComparison.Ordinal);
        var frozen = c.VisionLearningRateScale == 0;
        foreach (var (name, p) in model.named_parameters().Where(p => frozen && Vision(p.name))) p.requires_grad = false;
        var trained = model.named_parameters().Where(p => !(frozen && Vision(p.name))).ToList();
        heads?.to(dev);
        using var optimizer = new AdamW(trained.Where(p => !Vision(p.name)).Concat(heads?.named_parameters() ?? []).Select(p => (p.parameter, Decayed(p.name, p.parameter) ? c.WeightDecay : 0.0)), beta2: 0.98);
        // The rest of the tower gets its own optimiser so its step can be scaled down: a full-rate step undoes the CLIP features.
        using var visionOptimizer = new AdamW(trained.Where(p => Vision(p.name)).Select(p => (p.parameter, Decayed(p.name, p.parameter) ? c.WeightDecay : 0.0)), beta2: 0.98);
        // The auxiliary read-outs learn with the LM; the hook hands them the supervised block's output.
        using var hookScope = model.Hooks.Scope();
        Tensor? supervised = null;
        if (heads is not null) model.Hooks.Add($"lm.blocks.{c.PatchAttributeLayer}.hook_resid_post", (x, _) => supervised = x);
        var warmup = Math.Max(1, (int)(c.Steps * c.WarmupFraction));
        var clock = Stopwatch.StartNew();
        var smoothed = double.NaN;
        for (var step = 0; step < c.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            optimizer.LearningRate = WarmupCosine.Rate(c.LearningRate, step, c.Steps, warmup);
            visionOptimizer.LearningRate = optimizer.LearningRate * c.VisionLearningRateScale;
            using var batch = world.Batch(c.Seed, (long)step * c.BatchSize, c.BatchSize, dev);
            var questions = batch.Scenes.Select(s => VlmQuestions.Pick(s, c.ColourShare, c.ShapeShare)).ToList();
            var (ids, lengths) = vocabulary.EncodeBatch(questions.Select(q => q.Question).ToList(), model.Config.MaxQuestionTokens, dev);
            var answers = tensor(questions.Select(q => (long)vocabulary.Id(q.Answer)).ToArray(), device: dev);
            optimizer.ZeroGrad();
            visionOptimizer.ZeroGrad();
            // A frozen tower needs no autograd graph: its patch states are computed once, outside it.
            Tensor patches;
            using (frozen ? no_grad() : null) patches = model.PatchStates(batch.Images);
            var logits = model.AnswerLogitsFromTokens(model.ImageTokensFromPatches(patches), ids, lengths);
            var loss = nn.functional.cross_entropy(logits, answers);
            var objective = heads is null ? loss : loss + heads.Loss(
                supervised!.narrow(1, 0, model.Config.ImageTokens),
                PatchAttributes.Labels(batch, ObjectAttribute.Shape, model.Config.Vision.PatchSize),
                PatchAttributes.Labels(batch, ObjectAttribute.Colour, model.Config.Vision.PatchSize)).mul(Scalars.S(c.PatchAttributeWeight));
            objective.backward();
            // Clipped per group: the tower's gradient does not shrink the adapter/LM step.
            optimizer.ClipGradNorm(1.0);
            visionOptimizer.ClipGradNorm(1.0);
            optimizer.Step();
            if (!frozen) visionOptimizer.Step();
            var value = loss.item<float>();
            if (!float.IsFinite(value)) throw new InvalidOperationException($"VLM training diverged at step {step + 1} (loss {value}); lower LearningRate");
            Scalars.Release();
            smoothed = double.IsNaN(smoothed) ? value : 0.97 * smoothed + 0.03 * value;
            if (step % 20 == 0 || step == c.Steps - 1)
                progress?.Invoke(progressStart + vlmShare * (step + 1) / c.Steps, $"step {step + 1}/{c.Steps} loss {smoothed:F3} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        model.eval();
        return (model, vocabulary, clock.Elapsed.TotalSeconds, clipSeconds, smoothed);
    }
}
