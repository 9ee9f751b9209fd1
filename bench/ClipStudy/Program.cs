using System.Diagnostics;
using System.Globalization;
using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Interp.Steering;
using MMInterp.Kernels.Interp.Typographic;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using MMInterp.Kernels.ShapesWorld;
using static TorchSharp.torch;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
TorchSharp.torch.set_num_threads(1);
var a = args.Select(x => x.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "1");
string S(string k, string d) => a.TryGetValue(k, out var v) ? v : d;
int I(string k, int d) => int.Parse(S(k, d.ToString()));
double D(string k, double d) => double.Parse(S(k, d.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var clock = Stopwatch.StartNew();
void Log(string s) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F0}s] {s}");

var loaded = ClipCheckpoint.Load(S("clip", "/tmp/zoo-default3"));
var model = loaded.Model; var tok = loaded.Tokenizer!;
var layerArg = S("layer", "1");
var layer = layerArg == "pooled" ? -1 : int.Parse(layerArg);
var hook = layer < 0 ? MMInterp.Kernels.Models.Clip.ClipVisionTransformer.PooledHook : $"vision.blocks.{layer}.hook_resid_post";
var tokens = TokenSelections.Parse(S("tokens", "all"));
var dIn = (int)model.Config.Vision.Tower.HiddenSize;
var kind = S("kind", "topk");
var dsae = I("dsae", 512); var k = I("k", 16); var steps = I("steps", 1500); var l1 = D("l1", 1.0); var lr = D("lr", 2e-3);
var saeSeed = I("saeseed", 0); var evalOff = I("evaloff", 0);
var images = I("images", 2048);
var cacheFile = $"{Path.GetTempPath()}clipstudy_sae_{Path.GetFileName(S("clip", "x"))}_{layerArg}_{tokens.Name()}_{kind}_{dsae}_{k}_{l1}_{lr}_{steps}_{saeSeed}_{images}.safetensors";
SparseAutoencoder sae;
if (S("sae", "") is { Length: > 0 } saePath) { sae = SaeCheckpoint.LoadSae(saePath); Log($"loaded {saePath}"); } // a stored dictionary (e.g. from the artefact store)
else if (S("sup", "0") == "1") sae = SupervisedDictionary.Train(model, hook, tokens, images, I("supsteps", 400), Log).Sae;
else if (S("sup", "0") == "words") sae = SupervisedDictionary.WordSubspace(SupervisedDictionary.Train(model, hook, tokens, images, I("supsteps", 400), Log), Log);
else if (File.Exists(cacheFile) && S("retrain", "0") == "0") { sae = SaeCheckpoint.LoadSae(cacheFile); Log($"loaded {cacheFile}"); }
else
{
    var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = 32, OverlayRate = 0.3, AttackRate = 0.5 });
    var rows = ClipActivationExtractor.Extract(model, world, seed: ShapesSplits.Train, start: 0, count: images, [hook], tokens: tokens)[hook];
    Log($"extracted {rows.shape[0]} rows");
    var dir = Directory.CreateTempSubdirectory("clipfig-sae-").FullName;
    using var source = new InMemoryActivationSource(rows, seed: saeSeed);
    var cfg = new SaeConfig { Kind = kind switch { "relu" => SaeKind.Relu, "topk" => SaeKind.TopK, "batchtopk" => SaeKind.BatchTopK, _ => SaeKind.JumpRelu },
        DIn = dIn, DSae = dsae, K = k, Seed = saeSeed, NormalizeInput = S("norm", "0") == "1" };
    var tr = new SaeTrainingConfig { Lr = lr, LrWarmupSteps = steps / 10, SparsityCoefficient = l1, DeadFeatures = kind == "relu" ? DeadFeatureStrategy.None : DeadFeatureStrategy.AuxK };
    var res = SaeTrainer.Run(new SweepConfig { Members = [new SweepMember("s", cfg, tr)], BatchSize = I("batch", 512), TotalSteps = steps, LogEvery = Math.Max(1, steps / 3), CheckpointEvery = 0, HistogramEachLog = false }, source, dir).Single();
    sae = SaeCheckpoint.LoadSae(res.WeightsPath!);
    File.Copy(res.WeightsPath!, cacheFile, true);
    Log($"trained {kind} m={dsae} k={k} l1={l1}: L0 {res.Final?.L0:F1} FVU {res.Final?.Fvu:F3} dead {res.Final?.DeadFraction:F3}");
}

if (S("fvucheck", "0") == "1")
{
    // FVU of the loaded SAE on study-time activations (HookLatents' hook) vs the extractor's rows: the same distribution?
    var w = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = 32, OverlayRate = 0.3, AttackRate = 0.5 });
    using var b = w.Batch(2_000_003, 0, 512);
    Tensor? seen = null;
    using (var z0 = HookLatents.Encode(model, sae, hook, b.Images, a => seen = a.reshape(-1, a.shape[^1]).to(float32).cpu().clone().DetachFromDisposeScope(), tokens)) { }
    var x = seen!;
    var xhat = sae.Decode(sae.Encode(x));
    var fvu = (x - xhat).pow(2).sum().item<float>() / (x - x.mean([0L], keepdim: true)).pow(2).sum().item<float>();
    var rows = ClipActivationExtractor.Extract(model, w, seed: 2_000_003, start: 0, count: 512, [hook], tokens: tokens)[hook];
    var rhat = sae.Decode(sae.Encode(rows));
    var fvu2 = (rows - rhat).pow(2).sum().item<float>() / (rows - rows.mean([0L], keepdim: true)).pow(2).sum().item<float>();
    Log($"FVUCHECK study-hook rows {x.shape[0]} fvu {fvu:F3} | extractor rows {rows.shape[0]} fvu {fvu2:F3} | max |diff| {(x - rows).abs().max().item<float>():G3} normscale {sae.NormScale:G4}");
}
if (S("cdirs", "0") == "1")
{
    var w = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = 32 });
    foreach (var groupName in new[] { "colour", "shape", "size", "position", "fill" })
    foreach (var strength in S("strengths", "1").Split(',').Select(x => double.Parse(x)))
    {
        var (dirs, cs) = ConceptDirections.Compute(model, hook, w, 5_000_011 + evalOff, I("cdimages", 512), [groupName]);
        var r = ConceptDirections.Label(model, tok, hook, dirs, cs, ConceptSet.CaptionVocabulary, FreeLabelConfig.Default with { Strength = strength });
        Log($"CDIRS {groupName} strength={strength}: {r.Accuracy:F3} ({r.Correct}/{r.Concepts}) :: " + string.Join(" | ", r.Rows.Select(x => $"{x.Concept}->{x.Label.Replace("a photo of ", "")}")));
    }
}
if (S("occl", "0") == "1")
{
    var w = AttackScenes.Generator(32);
    var (att, clean) = AttackScenes.Pairs(w, 3_000_002, 512);
    var trueWord = att.Select(sc => sc with { Overlay = sc.Overlay! with { Word = AttributeWords.Words(sc.Overlay.Attribute)[sc.Objects[0].Value(sc.Overlay.Attribute)], IsAttack = false } }).ToList();
    using var probe = new ZeroShotProbe(model, tok, [ObjectAttribute.Colour, ObjectAttribute.Shape]);
    double Acc(IReadOnlyList<Scene> scenes)
    {
        using var b = w.Batch(scenes);
        var p = probe.Probabilities(b.Images);
        var am = p.ToDictionary(kv => kv.Key, kv => kv.Value.argmax(-1).data<long>().ToArray());
        return scenes.Select((sc, i) => am[sc.Overlay!.Attribute][i] == sc.Objects[0].Value(sc.Overlay.Attribute) ? 1.0 : 0.0).Average();
    }
    Log($"OCCL clean={Acc(att.Select(x => x with { Overlay = x.Overlay! with { Word = "" } }).ToList()):F3} (empty word) attacked={Acc(att):F3} trueword={Acc(trueWord):F3}");
}
if (S("labels", "0") == "1" || S("rec", "0") == "1")
{
    var sc = FeatureStudyConfig.Default with { Seed = FeatureStudyConfig.Default.Seed + 17 * evalOff, Images = I("studyimages", 1024), Controls = false };
    var world = new ShapesWorldGenerator(new ShapesWorldConfig { ImageSize = 32, OverlayRate = 0.3, AttackRate = 0.5 });
    var acts = FeatureActivations.Compute(model, sae, hook, world, sc.Seed, sc.Images, 64, tokens: tokens);
    var concepts = ConceptSet.FromScenes(acts.Scenes);
    var rec = ConceptRecovery.Compute(acts, concepts, D("thr", 0.9), ConceptSet.CaptionGroups);
    var scored = FreeLabelAccuracy.Scored(rec, ConceptSet.CaptionGroups);
    Log($"recovery {rec.Recovery:F3} scored {scored.Count}: " + string.Join(" ", rec.RecoveryByGroup.Select(kv => $"{kv.Key}={kv.Value:F2}")));
    Log("  best per concept: " + string.Join(" ", rec.PerConcept.Select(c => $"{c.ConceptName}:{c.Auroc:F2}")));
    if (S("conj", "0") == "1")
    {
        // Conjunctions of two attributes ("a red circle"): does a feature detect a combination better than either value?
        var pairs = new[] { (ObjectAttribute.Colour, ObjectAttribute.Shape), (ObjectAttribute.Colour, ObjectAttribute.Position), (ObjectAttribute.Shape, ObjectAttribute.Position) };
        foreach (var (x, y) in pairs)
        {
            int nx = AttributeWords.Count(x), ny = AttributeWords.Count(y);
            var lab = new bool[acts.Images, nx * ny];
            for (var i = 0; i < acts.Images; i++) foreach (var o in acts.Scenes[i].Objects) lab[i, o.Value(x) * ny + o.Value(y)] = true;
            var au = Auroc.Matrix(acts.MaxPerImage, lab);
            var best = Enumerable.Range(0, nx * ny).Select(c => Enumerable.Range(0, acts.Features).Max(f => double.IsNaN(au[f, c]) ? 0 : au[f, c])).ToList();
            var perFeature = Enumerable.Range(0, acts.Features).Select(f => Enumerable.Range(0, nx * ny).Max(c => double.IsNaN(au[f, c]) ? 0 : au[f, c])).ToList();
            Log($"  CONJ {x}x{y}: conjunctions with a feature at AUROC>=0.9: {best.Count(b => b >= 0.9)}/{nx * ny} (mean best {best.Average():F2}); features whose best conjunction AUROC>=0.9: {perFeature.Count(b => b >= 0.9)}/{acts.Features}");
        }
        var single = rec.PerFeature.Count(f => f.Auroc >= 0.9);
        Log($"  features whose best single concept AUROC>=0.9: {single}/{acts.Features}");
    }
    var ids = scored.Select(f => f.Feature).ToList();
    if (S("labels", "0") == "1")
    foreach (var strength in S("strengths", "1").Split(',').Select(x => double.Parse(x)))
    foreach (var refs in new[] { 0, 64 })
    {
        var centre = true;
        var lc = FreeLabelConfig.Default with { Strength = strength, ReferenceDirections = refs, CentreText = centre };
        var labs = FreeLabeler.Label(model, tok, sae, hook, ConceptSet.CaptionVocabulary, lc, ids);
        var acc = FreeLabelAccuracy.Compute(rec, labs, ConceptSet.CaptionVocabulary, ConceptSet.CaptionGroups);
        var rnd = FreeLabeler.RandomDirections(ids.Count, 64, 99);
        var rl = FreeLabeler.LabelDirections(model, tok, hook, rnd, ids, ConceptSet.CaptionVocabulary, lc);
        var racc = FreeLabelAccuracy.Compute(rec, rl, ConceptSet.CaptionVocabulary, ConceptSet.CaptionGroups);
        Log($"  labels strength={strength} refs={refs} : {acc.Accuracy:F3} ({acc.Correct}/{acc.Detecting}) random {racc.Accuracy:F3} chance {acc.Chance:F3} :: " + string.Join(" | ", acc.Rows.Take(8).Select(r => $"{r.Concept}->{r.Label.Replace("a photo of ", "")}")));
    }
}
if (S("study", "1") == "1")
{
    var sc = FeatureStudyConfig.Default with { Seed = FeatureStudyConfig.Default.Seed + 17 * evalOff, Images = I("studyimages", 1024), Tokens = tokens };
    var st = ClipFeatureStudy.Run(model, tok, sae, hook, sc);
    var f = st.Figures;
    Log($"STUDY {hook}: " + string.Join(" ", f.Where(kv => !kv.Key.StartsWith("mean_best") ).Select(kv => $"{kv.Key}={kv.Value:F3}")));
    Log("  detecting by concept: " + string.Join(" ", st.Recovery.Detecting.GroupBy(x => x.ConceptName).OrderByDescending(g => g.Count()).Take(30).Select(g => $"{g.Key}:{g.Count()}")));
    Log("  label rows sample: " + string.Join(" | ", st.LabelAccuracy.Rows.Take(15).Select(r => $"{r.Feature}:{r.Concept}->{r.Label}")));
}
if (S("steer", "1") == "1")
foreach (var clampMul in S("clamps", "2").Split(',').Select(x => double.Parse(x)))
foreach (var scopeName in S("scopes", "all").Split(','))
foreach (var minAuroc in S("minaurocs", "0").Split(',').Select(x => double.Parse(x)))
{
    Log($"steer clamp={clampMul} scope={scopeName} minAuroc={minAuroc}");
    var c = SteerabilityConfig.Default with { ClampMultiple = clampMul, MinDetectionAuroc = Math.Max(0.5, minAuroc), Scope = scopeName == "all" ? ClampScope.AllTokens : ClampScope.ActiveTokens, MaxFeatures = I("steerfeatures", 48), EvalImages = I("steerimages", 64), RandomDirections = I("randomdirs", 0),
        CalibrationSeed = SteerabilityConfig.Default.CalibrationSeed + 17 * evalOff, EvalSeed = SteerabilityConfig.Default.EvalSeed + 17 * evalOff, Seed = evalOff };
    var r = Steerability.Run(model, tok, sae, hook, c);
    if (r.DetectionAuroc is { Count: > 0 } da) Log($"  detection auroc mean {da.Values.Average():F3}; targets " + string.Join(" ", r.Features.GroupBy(x => x.Target.Attribute).Select(g => $"{g.Key}:{g.Count()}")));
    Log($"STEER share={r.SteerableShare:F3} random={r.RandomShare:F3} ratio={r.ShareRatio:F2} tested={r.Features.Count} live={r.LiveFeatures}");
    foreach (var at in Enum.GetValues<ObjectAttribute>()) Log($"  {at}: {r.SteerableShareFor(at):F3} vs {r.RandomShareFor(at):F3}");
    // By target value: passes of features and of random directions toward it, and where random pushes send the
    // prediction (the value whose mean probability ends highest on the measured images).
    foreach (var g in r.Features.Concat(r.RandomControl).Select(t => t.Target).Distinct().OrderBy(t => t.Attribute).ThenBy(t => t.Value))
    {
        var f = r.Features.Where(t => t.Target == g).ToList(); var q = r.RandomControl.Where(t => t.Target == g).ToList();
        Log($"  target {g.Attribute}={g.Label}: features {f.Count(t => t.Steerable)}/{f.Count}, random {q.Count(t => t.Steerable)}/{q.Count}");
    }
    foreach (var at in r.RandomControl.Select(t => t.Target.Attribute).Distinct())
    {
        var words = AttributeWords.Words(at);
        string Dominant(FeatureSteering t) => words[t.MeanAfter.Select((p, i) => (p, i)).MaxBy(x => x.p).i];
        Log($"  {at}: random pushes end on " + string.Join(" ", r.RandomControl.Where(t => t.Target.Attribute == at).GroupBy(Dominant).OrderByDescending(x => x.Count()).Select(x => $"{x.Key}:{x.Count()}"))
            + "; unsteered mean ends on " + string.Join(" ", r.RandomControl.Where(t => t.Target.Attribute == at).Take(1).Select(t => words[t.MeanBefore.Select((p, i) => (p, i)).MaxBy(x => x.p).i])));
    }
    Log("  inserted: " + string.Join(" ", r.Inserted.Select(x => $"{x.Attribute}:{x.Unhooked:F3}/{x.WithError:F3}/{x.ReconstructionOnly:F3}")));
}
if (S("typo", "1") == "1")
foreach (var supp in S("supp", "zero").Split(','))
{
    var c = TypographicConfig.Default with { CalibrationSeed = TypographicConfig.Default.CalibrationSeed + 17 * evalOff, EvalSeed = TypographicConfig.Default.EvalSeed + 17 * evalOff, Seed = evalOff, TopK = I("topk", 8), EffectCandidates = Math.Max(TypographicConfig.Default.EffectCandidates, I("topk", 8)), Suppression = supp == "zero" ? TextSuppression.Zero : TextSuppression.CleanMean,
        Selection = S("sel", "detection") == "effect" ? TextFeatureSelection.Effect : TextFeatureSelection.Detection };
    var r = TypographicDefence.Run(model, tok, sae, hook, c);
    var o = r.Overall;
    Log($"TYPO {supp} clean={o.Clean:F3} attacked={o.Attacked:F3} drop={o.AttackDrop:F3} suppressed={o.Suppressed:F3} random={o.RandomSuppressed:F3} recovered={r.Recovered:F3} randomRec={r.RandomRecovered:F3} cleanCost={o.CleanCost:F3} follows={o.FollowsWord:F3} trueWord={o.TrueWord:F3} chosen={string.Join(",", r.ChosenFeatures)} auroc={string.Join(",", r.ChosenAuroc.Select(x => x.ToString("F2")))}");
    foreach (var b in r.ByAttribute) Log($"  {b.Attribute}: clean={b.Clean:F3} attacked={b.Attacked:F3} suppressed={b.Suppressed:F3} random={b.RandomSuppressed:F3} follows={b.FollowsWord:F3}");
}
