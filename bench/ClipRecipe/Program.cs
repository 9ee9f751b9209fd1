using System.Globalization;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Zoo;

// dotnet run -c Release --project bench/ClipRecipe -- width=96 layers=4 steps=2000 [out=DIR] [key=value ...]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var a = args.Select(x => x.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "1");
string S(string k, string d) => a.TryGetValue(k, out var v) ? v : d;
int I(string k, int d) => int.Parse(S(k, d.ToString()));
double D(string k, double d) => double.Parse(S(k, d.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var c0 = ClipZooConfig.Default;
var config = c0 with
{
    Seed = I("seed", (int)c0.Seed), ImageSize = I("size", c0.ImageSize), Steps = I("steps", c0.Steps), BatchSize = I("batch", c0.BatchSize), LearningRate = D("lr", c0.LearningRate),
    VisionWidth = I("width", c0.VisionWidth), VisionLayers = I("layers", c0.VisionLayers), TextWidth = I("twidth", I("width", c0.TextWidth)),
    TextLayers = I("tlayers", c0.TextLayers), Heads = I("heads", c0.Heads), ProjectionDim = I("proj", I("width", c0.ProjectionDim)), PatchSize = I("patch", c0.PatchSize),
    OverlayRate = D("overlay", c0.OverlayRate), WrongWordRate = D("wrong", c0.WrongWordRate), MentionWords = S("mention", "1") == "1",
    ShapeFirstFraction = D("shapefirst", c0.ShapeFirstFraction), ShapeFamilyShare = D("famshare", c0.ShapeFamilyShare),
    WordFamilyShare = D("wordfam", c0.WordFamilyShare), WordFirstShare = D("wordfirst", c0.WordFirstShare), Threads = I("threads", 1),
};
// Development seeds: never the evaluation seeds of the build (1_000_003), the study (2_000_003) or the attack (3_000_00x).
const long DevZeroShot = 7_000_001, DevAttack = 7_000_002;
var last = DateTime.UtcNow;
MMInterp.Kernels.Models.Clip.ClipModel model; MMInterp.Kernels.Text.ClipBpeTokenizer tokenizer; double seconds = 0, loss = double.NaN;
if (a.TryGetValue("eval", out var evalDir))
{
    var loaded = ClipCheckpoint.Load(evalDir);
    (model, tokenizer) = (loaded.Model, loaded.Tokenizer!);
    config = config with { ImageSize = model.Config.Vision.ImageSize };
}
else
    (model, tokenizer, seconds, loss) = new ClipZooTrainer(config).Train((p, note) =>
    {
        if ((DateTime.UtcNow - last).TotalSeconds < 60) return;
        last = DateTime.UtcNow; Console.WriteLine($"  {note}");
    });
var colour = ClipEvaluator.ZeroShot(model, tokenizer, ObjectAttribute.Colour, DevZeroShot, 512, config.ImageSize);
var shape = ClipEvaluator.ZeroShot(model, tokenizer, ObjectAttribute.Shape, DevZeroShot, 512, config.ImageSize);
var attack = ClipEvaluator.Attack(model, tokenizer, DevAttack, 512, config.ImageSize);
var tag = string.Join(" ", args);
Console.WriteLine($"RESULT [{tag}] train {seconds:F0}s loss {loss:F3} | colour {colour:F3} shape {shape:F3} | attack clean {attack.Clean:F3} attacked {attack.Attacked:F3} true-word {attack.TrueWord:F3} drop {attack.AttackDrop:F3} reading {attack.ReadingPart:F3} follows {attack.FollowsWord:F3} reads {attack.WordReading:F3}");
if (a.TryGetValue("out", out var outDir)) { ClipCheckpoint.Save(model, tokenizer, outDir); Console.WriteLine($"saved {outDir}"); }
// finish=DIR: a zoo directory as `zoo build clip` writes it (zoo.json with the held-out metrics on the build's EvalSeed)
// for the model trained above or loaded with eval=; trainseconds= and loss= carry a trained run's log when loaded.
if (a.TryGetValue("finish", out var finishDir))
{
    var metrics = ClipEvaluator.Evaluate(model, tokenizer, config.EvalSeed, config.EvalImages, config.ImageSize);
    ClipCheckpoint.Save(model, tokenizer, finishDir);
    File.WriteAllText(Path.Combine(finishDir, "zoo.json"), System.Text.Json.JsonSerializer.Serialize(new
    {
        kind = "clip", config, metrics, train_seconds = D("trainseconds", seconds), final_loss = D("loss", loss),
    }, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    File.WriteAllText(Path.Combine(finishDir, ShippedCheckpoint.ManifestFile), ShippedClip.Checkpoint.Manifest(finishDir));
    Console.WriteLine($"EVAL [{tag}] colour {metrics.ZeroShotColour:F3} shape {metrics.ZeroShotShape:F3} recall@5 {metrics.RetrievalRecallAt5:F3} | attack clean {metrics.Attack!.Clean:F3} attacked {metrics.Attack.Attacked:F3} true-word {metrics.Attack.TrueWord:F3} drop {metrics.Attack.AttackDrop:F3} reading {metrics.Attack.ReadingPart:F3} follows {metrics.Attack.FollowsWord:F3} reads {metrics.Attack.WordReading:F3}");
}
