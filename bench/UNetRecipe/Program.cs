using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;

// dotnet run -c Release --project bench/UNetRecipe -- size=16 levels=2 steps=3000 [guidance=2,3,5] [load=FILE] [save=FILE]
// dotnet run -c Release --project bench/UNetRecipe -- size=16 levels=2 steps=3000 seed=1 out=DIR   (the build, judged held out)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var a = args.Select(x => x.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "1");
string S(string k, string d) => a.TryGetValue(k, out var v) ? v : d;
int I(string k, int d) => int.Parse(S(k, d.ToString()));
double D(string k, double d) => double.Parse(S(k, d.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var c0 = UNetZooConfig.Default;
var config = (c0 with
{
    Seed = I("seed", (int)c0.Seed), ImageSize = I("size", c0.ImageSize), Steps = I("steps", c0.Steps), BatchSize = I("batch", c0.BatchSize),
    LearningRate = D("lr", c0.LearningRate), Width = I("width", c0.Width), Levels = I("levels", c0.Levels), HeadWidth = I("hw", c0.HeadWidth),
    LayersPerBlock = I("lpb", c0.LayersPerBlock), SampleSteps = int.Parse(S("ss", c0.SampleSteps.ToString()).Split(",")[0]), Guidance = D("g", c0.Guidance),
    EvalImages = I("eval", c0.EvalImages), ClassifierSteps = I("csteps", c0.ClassifierSteps), Threads = I("threads", 1),
    CoordinateInput = I("coords", c0.CoordinateInput ? 1 : 0) == 1, ClipSkip = I("skip", c0.ClipSkip),
}).Validate();
// The zoo CLIP of the default recipe (shipped with the code) conditions every run.
var clipDir = Path.Combine(Path.GetTempPath(), "mminterp-unet-recipe-clip");
if (!File.Exists(Path.Combine(clipDir, "model.safetensors"))) ShippedClip.TryRestore(ClipZooConfig.Default, clipDir);
var clip = ClipCheckpoint.Load(clipDir);
Console.WriteLine(config);
var trainer = new UNetZooTrainer(config);
if (a.TryGetValue("out", out var outDir))
{
    void Note(double p, string note) { if (Shown(note)) Console.WriteLine(note); }
    // load=FILE: weights this recipe trained before (training is deterministic) with the training record saved beside
    // them (FILE.json), judged without training again.
    var (m, built, _) = a.TryGetValue("load", out var trained)
        ? trainer.Judge(Loaded(trained), new TextConditioner(clip.Model, clip.Tokenizer!, config.ContextLength, config.ClipSkip), outDir,
            Record(trained).Seconds, Record(trained).Loss, Record(trained).Curve, Note)
        : trainer.Build(clip.Model, clip.Tokenizer!, outDir, Note);
    // What would ship (Zoo/Shipped/unet) if this is the default recipe: every file's hash.
    File.WriteAllText(Path.Combine(outDir, ShippedCheckpoint.ManifestFile), ShippedUNet.Checkpoint.Manifest(outDir));
    Console.WriteLine($"held out (seed {config.EvalSeed}): colour {m.ColourAccuracy:F3} shape {m.ShapeAccuracy:F3} position {m.PositionAccuracy:F3} size {m.SizeAccuracy:F3} fill {m.FillAccuracy:F3}");
    Console.WriteLine($"  prompts rotated: colour {m.ShuffledColourAccuracy:F3} shape {m.ShuffledShapeAccuracy:F3} position {m.ShuffledPositionAccuracy:F3}; classifier on real images: shape {m.ClassifierShape:F3} colour {m.ClassifierColour:F3}; loss {m.HeldOutLoss:F4}; gradient retries {trainer.Retries}");
    built.Dispose();
    return;
}
// Development split for choosing settings: neither the training seed's split nor the held-out 2_000_003.
const long DevSeed = 7_000_021;
var text = new TextConditioner(clip.Model, clip.Tokenizer!, config.ContextLength, config.ClipSkip);
MMInterp.Kernels.Models.StableDiffusion.UNet2DConditionModel unet;
if (a.TryGetValue("load", out var load)) unet = Loaded(load);
else
{
    var (trained, secs, loss, curve) = trainer.Train(text, (p, note) => { if (Shown(note)) Console.WriteLine(note); });
    unet = trained;
    Console.WriteLine($"trained {secs:F0} s, loss {loss:F4}, gradient retries {trainer.Retries}");
    if (a.TryGetValue("save", out var save))
    {
        SafeTensors.Save(save, ClipCheckpoint.StateDict(unet));
        File.WriteAllText(save + ".json", System.Text.Json.JsonSerializer.Serialize(new TrainingRecord(secs, loss, curve.Select(p => new[] { p.Step, p.Loss }).ToList())));
    }
}
var (classifier, held) = AttributeClassifierTrainer.Train(config.ImageSize, config.Seed + 1, DevSeed + 7, config.ClassifierSteps);
Console.WriteLine("classifier on real dev images: " + string.Join(" ", held.Select(kv => $"{kv.Key} {kv.Value:F3}")));
using var model = new UNetZooModel(unet, text, classifier, config);
if (a.TryGetValue("grid", out var gridPng))
{
    // Rows: one object each; columns: the five positions. What a reader looks at before the figures.
    string[] objects = ["large red solid circle", "large green solid square", "large blue solid triangle", "small yellow striped star", "large white dotted ring", "large magenta solid cross"];
    var prompts = objects.SelectMany(o => AttributeWords.Positions.Select(p => $"a {o} in the {p}")).ToList();
    using var images = DiffusionEvaluator.Generate(model, prompts, model.Sampler(DevSeed));
    var pixels = images.contiguous().data<float>().ToArray();
    var per = 3 * config.ImageSize * config.ImageSize;
    var cells = objects.Select((_, r) => (IReadOnlyList<float[]?>)AttributeWords.Positions.Select((_, c) => (float[]?)pixels.AsSpan((r * AttributeWords.Positions.Length + c) * per, per).ToArray()).ToList()).ToList();
    MMInterp.Kernels.Plots.ImageGridPng.Write(gridPng, cells, config.ImageSize, objects, AttributeWords.Positions, $"zoo U-Net samples (dev seed {DevSeed}, guidance {config.Guidance})", scale: 4);
    Console.WriteLine($"wrote {gridPng}");
}
var scenes = DiffusionEvaluator.PromptScenes(config.ImageSize, DevSeed, config.EvalImages);
foreach (var ss in S("ss", config.SampleSteps.ToString()).Split(',').Select(int.Parse))
foreach (var g in S("guidance", config.Guidance.ToString(CultureInfo.InvariantCulture)).Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)))
{
    using var images = DiffusionEvaluator.Generate(model, scenes.Select(Captions.Describe).ToList(), new SamplerOptions { Steps = ss, Guidance = g, Seed = DevSeed });
    var acc = DiffusionEvaluator.Score(classifier, images, scenes);
    var rot = DiffusionEvaluator.Score(classifier, images, scenes.Skip(1).Concat(scenes.Take(1)).ToList());
    Console.WriteLine($"dev, {ss} steps, guidance {g}: " + string.Join(" ", acc.Select(kv => $"{kv.Key} {kv.Value:F3}")) + " | rotated " + string.Join(" ", rot.Select(kv => $"{kv.Key} {kv.Value:F3}")));
}

(double Seconds, double Loss, IReadOnlyList<(int Step, double Loss)> Curve) Record(string weights)
{
    if (!File.Exists(weights + ".json")) return (double.NaN, double.NaN, []);
    var r = System.Text.Json.JsonSerializer.Deserialize<TrainingRecord>(File.ReadAllText(weights + ".json"))!;
    return (r.Seconds, r.Loss, r.Curve.Select(p => ((int)p[0], p[1])).ToList());
}

// Every 250th training step's note, and every note that is not a step's.
bool Shown(string note) => !note.StartsWith("step ") || int.Parse(note[5..note.IndexOf('/')]) % 250 == 1;

MMInterp.Kernels.Models.StableDiffusion.UNet2DConditionModel Loaded(string file)
{
    var model = new MMInterp.Kernels.Models.StableDiffusion.UNet2DConditionModel(config.UNet(clip.Model.Config.Text.Tower.HiddenSize));
    ClipCheckpoint.LoadWeights(model, file);
    model.eval();
    return model;
}

/// <summary>What a dev run saved beside its weights (save=FILE writes FILE.json), so a later out= build can record it.</summary>
sealed record TrainingRecord(double Seconds, double Loss, List<double[]> Curve);
