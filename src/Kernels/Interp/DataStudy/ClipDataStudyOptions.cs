using System.Globalization;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>One numeric option of the study: its name as the CLI (`--set name=value`), an experiment's options JSON and
/// the report spell it, what it means, and how it is read from and written into <see cref="ClipDataStudyOptions"/>.</summary>
public sealed record StudyOption(string Name, string Description, bool Integer,
    Func<ClipDataStudyOptions, double> Get, Func<ClipDataStudyOptions, double, ClipDataStudyOptions> Set);

/// <summary>
/// What the CLIP study on a user's dataset measures on, with defaults sized for a CPU and a ViT-B/32. This record is the
/// single source of the option names (<see cref="Table"/>); validated at the edge, a bad value names its option.
/// </summary>
public sealed record ClipDataStudyOptions
{
    /// <summary>Dataset images the feature statistics, concept recovery and free labels are measured on.</summary>
    public int Images { get; init; } = 512;
    /// <summary>Held-out images (not among <see cref="Images"/>) that steering and the typographic attack are judged on.</summary>
    public int HeldOutImages { get; init; } = 128;
    public int BatchSize { get; init; } = 32;
    /// <summary>Seed of the image sample, the feature samples and the random controls.</summary>
    public long Seed { get; init; } = 0;
    /// <summary>AUROC a feature needs to count as detecting a label (labelled datasets).</summary>
    public double Threshold { get; init; } = 0.9;
    /// <summary>Features given free labels (each costs forward passes): the best label detectors first, then live features at random.</summary>
    public int LabelFeatures { get; init; } = 64;
    /// <summary>Held-out images each direction is pushed on when it is labelled.</summary>
    public int BaselineImages { get; init; } = 8;
    /// <summary>Random directions that calibrate the labels' scores (see FreeLabelConfig.ReferenceDirections).</summary>
    public int ReferenceDirections { get; init; } = 64;
    /// <summary>Top images whose zero-shot class is compared with a feature's free label.</summary>
    public int TopImages { get; init; } = 9;
    /// <summary>Features clamped in the steering test.</summary>
    public int SteerFeatures { get; init; } = 16;
    /// <summary>Clamp value = this times the feature's 99th-percentile per-image activation on the study images.</summary>
    public double ClampMultiple { get; init; } = 2.0;
    /// <summary>A labelled feature is steered toward the label it detects when that AUROC reaches this.</summary>
    public double MinDetectionAuroc { get; init; } = 0.8;
    /// <summary>Steerable: the target's mean probability rises by more than this ...</summary>
    public double DeltaThreshold { get; init; } = 0.2;
    /// <summary>... and at least this share of flippable images is then predicted as the target.</summary>
    public double FlipThreshold { get; init; } = 0.5;
    /// <summary>Study images the word-reading features are chosen on (by their effect on the attacked images).</summary>
    public int TypographicCalibrationImages { get; init; } = 64;
    /// <summary>Held-out images attacked (at most <see cref="HeldOutImages"/>).</summary>
    public int TypographicImages { get; init; } = 128;
    /// <summary>Word-reading features suppressed.</summary>
    public int TopKText { get; init; } = 8;
    /// <summary>Best word detectors (by AUROC) whose zeroing alone is tried on the calibration images.</summary>
    public int TypographicCandidates { get; init; } = 32;
    /// <summary>Sets of as many random live features suppressed (the defence's control).</summary>
    public int RandomTrials { get; init; } = 5;
    /// <summary>Height of the drawn word as a share of the side of the image's centre square.</summary>
    public double WordScale { get; init; } = 0.16;
    /// <summary>Features that get top-example and histogram pictures.</summary>
    public int Dashboards { get; init; } = 16;
    /// <summary>TrueType font the attack words are drawn in.</summary>
    public string FontPath { get; init; } = DefaultFont;

    /// <summary>DejaVu Sans as Debian's fonts-dejavu-core installs it.</summary>
    public const string DefaultFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    public static ClipDataStudyOptions Default { get; } = new();

    /// <summary>Every numeric option by name.</summary>
    public static IReadOnlyList<StudyOption> Table { get; } =
    [
        Int("images", "dataset images the feature statistics, concept recovery and free labels are measured on", o => o.Images, (o, v) => o with { Images = v }),
        Int("held_out_images", "held-out images steering and the typographic attack are judged on", o => o.HeldOutImages, (o, v) => o with { HeldOutImages = v }),
        Int("batch_size", "images per forward pass", o => o.BatchSize, (o, v) => o with { BatchSize = v }),
        new("seed", "seed of the image sample and the random controls", true, o => o.Seed, (o, v) => o with { Seed = (long)v }),
        Real("threshold", "AUROC a feature needs to count as detecting a label", o => o.Threshold, (o, v) => o with { Threshold = v }),
        Int("label_features", "features given free labels", o => o.LabelFeatures, (o, v) => o with { LabelFeatures = v }),
        Int("baseline_images", "images each direction is pushed on when labelled", o => o.BaselineImages, (o, v) => o with { BaselineImages = v }),
        Int("reference_directions", "random directions that calibrate free-label scores", o => o.ReferenceDirections, (o, v) => o with { ReferenceDirections = v }),
        Int("top_images", "top images per feature (pictures, and the zero-shot check of free labels)", o => o.TopImages, (o, v) => o with { TopImages = v }),
        Int("steer_features", "features clamped in the steering test", o => o.SteerFeatures, (o, v) => o with { SteerFeatures = v }),
        Real("clamp_multiple", "clamp value as a multiple of the feature's p99 activation", o => o.ClampMultiple, (o, v) => o with { ClampMultiple = v }),
        Real("min_detection_auroc", "AUROC a feature needs to be steered toward the label it detects", o => o.MinDetectionAuroc, (o, v) => o with { MinDetectionAuroc = v }),
        Real("delta_threshold", "rise of the target's probability a steerable feature needs", o => o.DeltaThreshold, (o, v) => o with { DeltaThreshold = v }),
        Real("flip_threshold", "share of predictions a steerable feature must flip to the target", o => o.FlipThreshold, (o, v) => o with { FlipThreshold = v }),
        Int("typographic_calibration_images", "study images the word-reading features are chosen on", o => o.TypographicCalibrationImages, (o, v) => o with { TypographicCalibrationImages = v }),
        Int("typographic_images", "held-out images attacked", o => o.TypographicImages, (o, v) => o with { TypographicImages = v }),
        Int("top_k_text", "word-reading features suppressed", o => o.TopKText, (o, v) => o with { TopKText = v }),
        Int("typographic_candidates", "word detectors whose zeroing is tried", o => o.TypographicCandidates, (o, v) => o with { TypographicCandidates = v }),
        Int("random_trials", "random feature sets suppressed (the defence's control)", o => o.RandomTrials, (o, v) => o with { RandomTrials = v }),
        Real("word_scale", "height of the drawn word over the side of the image's centre square", o => o.WordScale, (o, v) => o with { WordScale = v }),
        Int("dashboards", "features that get top-example and histogram pictures", o => o.Dashboards, (o, v) => o with { Dashboards = v }),
    ];

    /// <summary>The defaults with the given options set; an unknown name or a fractional value for a whole-number
    /// option throws naming it.</summary>
    public static ClipDataStudyOptions FromValues(IEnumerable<KeyValuePair<string, double>> values, ClipDataStudyOptions? start = null)
    {
        var options = start ?? Default;
        foreach (var (name, value) in values)
        {
            var option = Find(name);
            if (!double.IsFinite(value)) throw new ArgumentException($"option {name} must be a finite number, got {value}");
            if (option.Integer && value != Math.Floor(value)) throw new ArgumentException($"option {name} must be a whole number, got {value.ToString(CultureInfo.InvariantCulture)}");
            options = option.Set(options, value);
        }
        return options.Validate();
    }

    /// <summary>The option called <paramref name="name"/>, or an ArgumentException listing the known names.</summary>
    public static StudyOption Find(string name) => Table.FirstOrDefault(o => o.Name == name)
        ?? throw new ArgumentException($"unknown study option '{name}'; known: {string.Join(", ", Table.Select(o => o.Name))}");

    /// <summary>Every numeric option's value by name (what a run records).</summary>
    public IReadOnlyDictionary<string, double> Values() => Table.ToDictionary(o => o.Name, o => o.Get(this));

    /// <summary>Throws an ArgumentException naming the first bad option.</summary>
    public ClipDataStudyOptions Validate()
    {
        static void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"option {name} {rule}, got {Convert.ToString(value, CultureInfo.InvariantCulture)}", name);
        }
        Check(Images >= 8, "images", Images, "must be at least 8");
        Check(HeldOutImages >= 4, "held_out_images", HeldOutImages, "must be at least 4");
        Check(BatchSize >= 1, "batch_size", BatchSize, "must be at least 1");
        Check(Threshold > 0.5 && Threshold <= 1, "threshold", Threshold, "must be in (0.5, 1]");
        Check(LabelFeatures >= 1, "label_features", LabelFeatures, "must be at least 1");
        Check(BaselineImages >= 1, "baseline_images", BaselineImages, "must be at least 1");
        Check(ReferenceDirections >= 0 && ReferenceDirections != 1, "reference_directions", ReferenceDirections, "must be 0 (uncalibrated) or at least 2");
        Check(TopImages >= 1, "top_images", TopImages, "must be at least 1");
        Check(SteerFeatures >= 0, "steer_features", SteerFeatures, "must be non-negative (0 skips steering)");
        Check(ClampMultiple > 0 && double.IsFinite(ClampMultiple), "clamp_multiple", ClampMultiple, "must be a positive finite number");
        Check(MinDetectionAuroc >= 0.5 && MinDetectionAuroc < 1, "min_detection_auroc", MinDetectionAuroc, "must be in [0.5, 1)");
        Check(DeltaThreshold > 0 && DeltaThreshold < 1, "delta_threshold", DeltaThreshold, "must be in (0, 1)");
        Check(FlipThreshold >= 0 && FlipThreshold <= 1, "flip_threshold", FlipThreshold, "must be in [0, 1]");
        Check(TypographicCalibrationImages >= 2, "typographic_calibration_images", TypographicCalibrationImages, "must be at least 2");
        Check(TypographicImages >= 0, "typographic_images", TypographicImages, "must be non-negative (0 skips the attack)");
        Check(TopKText >= 1, "top_k_text", TopKText, "must be at least 1");
        Check(TypographicCandidates >= TopKText, "typographic_candidates", TypographicCandidates, $"must be at least top_k_text ({TopKText})");
        Check(RandomTrials >= 1, "random_trials", RandomTrials, "must be at least 1");
        Check(WordScale > 0 && WordScale <= 0.5, "word_scale", WordScale, "must be in (0, 0.5]");
        Check(Dashboards >= 0, "dashboards", Dashboards, "must be non-negative");
        Check(!string.IsNullOrWhiteSpace(FontPath), "font", FontPath, "must name a TrueType font file");
        return this;
    }

    static StudyOption Int(string name, string description, Func<ClipDataStudyOptions, int> get, Func<ClipDataStudyOptions, int, ClipDataStudyOptions> set) =>
        new(name, description, true, o => get(o), (o, v) => set(o, checked((int)v)));

    static StudyOption Real(string name, string description, Func<ClipDataStudyOptions, double> get, Func<ClipDataStudyOptions, double, ClipDataStudyOptions> set) =>
        new(name, description, false, get, set);
}
