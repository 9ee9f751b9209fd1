using System.Diagnostics;
using System.Text.Json;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Tensors;
using MMInterp.Kernels.Text;
using TorchSharp;
using MMInterp.Kernels.Training;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Zoo;

/// <summary>Trains the tiny CLIP on ShapesWorld from a fixed seed, measures it on a held-out seed and writes it
/// as an HF-format directory (config.json, model.safetensors, vocab.json, merges.txt, zoo.json).</summary>
public sealed class ClipZooTrainer(ClipZooConfig config)
{
    readonly ClipZooConfig _config = config.Validate();

    /// <summary>Trains, evaluates and saves. <paramref name="progress"/> gets completion in [0, 1] and a note.</summary>
    public ClipZooResult Build(string outputDirectory, Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default)
    {
        var (model, tokenizer, seconds, loss) = Train(progress, device, cancel);
        using (model)
        {
            progress?.Invoke(0.97, "evaluating");
            var metrics = ClipEvaluator.Evaluate(model, tokenizer, _config.EvalSeed, _config.EvalImages, _config.ImageSize);
            ClipCheckpoint.Save(model, tokenizer, outputDirectory);
            var zooPath = Path.Combine(outputDirectory, "zoo.json");
            File.WriteAllText(zooPath, JsonSerializer.Serialize(new { kind = "clip", config = _config, metrics, train_seconds = seconds, final_loss = loss },
                new JsonSerializerOptions { WriteIndented = true }));
            progress?.Invoke(1.0, "saved");
            var files = new[] { ClipCheckpoint.ConfigFile, ClipCheckpoint.WeightsFile, "vocab.json", "merges.txt", "zoo.json" }
                .Select(f => Path.Combine(outputDirectory, f)).ToList();
            return new ClipZooResult(_config, metrics, outputDirectory, files, seconds, loss);
        }
    }

    /// <summary>Trains only; the caller owns the returned model.</summary>
    public (ClipModel Model, ClipBpeTokenizer Tokenizer, double Seconds, double FinalLoss) Train(Action<double, string>? progress = null, Device? device = null, CancellationToken cancel = default)
    {
        var c = _config;
        torch.set_num_threads(c.Threads);
        var dev = device ?? CPU;
        var tokenizer = ShapesVocabulary.Build();
        var model = TorchRuntime.Seeded(c.Seed, () => new ClipModel(c.ModelConfig(tokenizer.VocabSize, tokenizer.EndId, tokenizer.StartId)));
        model.to(dev);
        model.train();
        var world = new ShapesWorldGenerator(c.World);
        var single = new ShapesWorldGenerator(c.World with { MinObjects = 1, MaxObjects = 1, OverlayRate = 0 });
        var worded = new ShapesWorldGenerator(c.World with { OverlayRate = 1 });
        // Families need words on images and in the captions (else their members' captions would be identical).
        var wordFamilies = c.OverlayRate > 0 && c.MentionWords ? (int)(c.BatchSize * c.WordFamilyShare) / c.WordFamilySize : 0;
        var singleWorded = new ShapesWorldGenerator(c.World with { MinObjects = 1, MaxObjects = 1, OverlayRate = 1 });
        var wordFirst = c.OverlayRate > 0 && c.MentionWords ? (int)(c.BatchSize * c.WordFirstShare) : 0;
        var shapeSteps = (int)(c.Steps * c.ShapeFirstFraction);
        // Decay weights only: norms, biases, embeddings and the temperature stay undecayed.
        static bool Decayed(string name, Tensor p) => p.dim() >= 2 && !name.Contains("embedding");
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.parameter, Decayed(p.name, p.parameter) ? c.WeightDecay : 0.0)), beta2: 0.98);
        var warmup = Math.Max(1, (int)(c.Steps * c.WarmupFraction));
        var clock = Stopwatch.StartNew();
        var smoothed = double.NaN;
        // Scalars held for the whole loop (a temporary may be finalised by the GC during the native call).
        using var maxLogitScale = Math.Log(100).ToScalar();
        using var zero = 0.0.ToScalar();
        for (var step = 0; step < c.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            // Linear warmup, then cosine decay to zero.
            var lr = WarmupCosine.Rate(c.LearningRate, step, c.Steps, warmup);
            optimizer.LearningRate = lr;
            // Shape first: with full captions colour, size and position already tell scenes apart and contrastive
            // learning never picks up shape (feature suppression); shape-only captions on single objects teach it.
            var shapePhase = step < shapeSteps;
            // Shape families first, then word families, then plain scenes (the shape families' captions name the shape).
            // In the shape-first phase the last WordFirstShare of the batch are worded single objects captioned by their
            // word alone ("the word blue"): reading first, as shape first, before the objects explain the captions.
            var scenes = shapePhase
                ? Enumerable.Range(0, c.BatchSize).Select(i => (i < c.BatchSize - wordFirst ? single : singleWorded).Scene(c.Seed, (long)step * c.BatchSize + i)).ToList()
                : ShapeFamilies.Batch(world, c.Seed, step, c.BatchSize, c.ShapeFamilyShare, c.ShapeFamilySize, keepWords: c.MentionWords);
            if (!shapePhase && wordFamilies > 0)
            {
                var shapeEnd = c.ShapeFamilySize * ShapeFamilies.FamilyCount(c.BatchSize, c.ShapeFamilyShare, c.ShapeFamilySize);
                var family = WordFamilies.Families(worded, c.Seed, step, c.BatchSize, wordFamilies, c.WordFamilySize).ToList();
                scenes = scenes.Take(shapeEnd).Concat(family).Concat(scenes.Skip(shapeEnd + family.Count)).ToList();
            }
            using var batch = world.Batch(scenes, dev);
            var captions = shapePhase
                ? scenes.Select(s => s.Overlay is { } w ? Captions.WordPhrase(w.Word) : Captions.Prompt(ObjectAttribute.Shape, (int)s.Objects[0].Shape)).ToList()
                : scenes.Select((s, i) => Captions.Variant(s, salt: 1, mentionShape: ShapeFamilies.InFamily(i, c.BatchSize, c.ShapeFamilyShare, c.ShapeFamilySize), mentionWord: c.MentionWords)).ToList();
            var ids = tokenizer.EncodeBatch(captions, c.ContextLength, dev);
            optimizer.ZeroGrad();
            var loss = ClipModel.ContrastiveLoss(model.LogitsPerImage(batch.Images, ids));
            loss.backward();
            optimizer.ClipGradNorm(1.0);
            optimizer.Step();
            using (no_grad()) model.LogitScale.clamp_(zero, maxLogitScale);
            var value = loss.item<float>();
            smoothed = double.IsNaN(smoothed) ? value : 0.95 * smoothed + 0.05 * value;
            if (step % 10 == 0 || step == c.Steps - 1)
                progress?.Invoke(0.95 * (step + 1) / c.Steps, $"step {step + 1}/{c.Steps} loss {smoothed:F3} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        model.eval();
        return (model, tokenizer, clock.Elapsed.TotalSeconds, smoothed);
    }
}
