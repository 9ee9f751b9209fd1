using System.Globalization;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Diffusion;

/// <summary>How much ablating the heads of one role costs, on average over its heads.</summary>
public sealed record RoleEffect(string Role, int Heads, int SelfAttention, double LossIncreasePct, double ColourDrop, double PositionDrop, double ShapeDrop);

/// <summary>The pictures of the diffusion analyses, written to a directory (the CLI and the experiment grain's
/// analysis both draw them here, so a person sees the same figures either way).</summary>
public static class DiffusionFigures
{
    /// <summary>Probe accuracy against noise level (best block), its pixel control and, when sampled, the generation trajectory.</summary>
    public static IReadOnlyList<string> WriteTemporal(string directory, TemporalResult result)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string> { Path.Combine(directory, "temporal_curves.png"), Path.Combine(directory, "temporal_pixel_control.png") };
        SeriesPlotPng.Write(files[0], result.Curves.Select(c => new SeriesPlotPng.Series(
            Name(c.Attribute), result.Timesteps.Select((t, k) => (t, c.Accuracy[k])).ToList(), c.Chance)).ToList(),
            "probe accuracy (best block) vs noise level", "noise level t (1 = pure noise, left)", "held-out accuracy", reverseX: true);
        SeriesPlotPng.Write(files[1], result.Curves.Select(c => new SeriesPlotPng.Series(
            Name(c.Attribute), result.Timesteps.Select((t, k) => (t, c.PixelControl[k])).ToList(), c.Chance)).ToList(),
            "control: same probe on the noisy input's patches", "noise level t", "held-out accuracy", reverseX: true);
        if (result.Trajectory is { } traj)
        {
            files.Add(Path.Combine(directory, "temporal_trajectory.png"));
            var againstPrompt = traj.Reference == TrajectoryCurve.Prompt;
            SeriesPlotPng.Write(files[^1], traj.Accuracy.Select(kv => new SeriesPlotPng.Series(
                Name(kv.Key), traj.T.Select((t, k) => (t, kv.Value[k])).ToList(), againstPrompt ? 1.0 / AttributeWords.Count(kv.Key) : null)).ToList(),
                $"generation: classifier on each step's clean-image estimate vs {traj.Reference}", "noise level t of the step",
                againstPrompt ? "accuracy" : "agreement with the final image", reverseX: true);
            if (traj.Frames.Count > 0)
            {
                // At most 8 steps, evenly spaced, the last included.
                var steps = traj.T.Count;
                var shown = Enumerable.Range(0, Math.Min(8, steps)).Select(i => steps == 1 ? 0 : (int)Math.Round(i * (steps - 1) / (double)(Math.Min(8, steps) - 1))).Distinct().ToList();
                files.Add(Path.Combine(directory, "temporal_trajectory_images.png"));
                ImageGridPng.Write(files[^1], traj.Frames.Select(f => (IReadOnlyList<float[]?>)shown.Select(k => (float[]?)f[k]).ToList()).ToList(), traj.FrameSide,
                    traj.FrameLabels.Select(Shorten).ToList(),
                    shown.Select(k => "t" + traj.T[k].ToString("0.00", CultureInfo.InvariantCulture)).ToList(),
                    "clean-image estimate at each step", scale: Math.Max(1, 128 / traj.FrameSide));
            }
        }
        return files;
    }

    /// <summary>Per pictured prompt, the lens grid (block x step) and the cross-attention maps per token; and the final samples.</summary>
    public static IReadOnlyList<string> WriteLens(string directory, LensResult lens)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        var stepLabels = lens.T.Select(t => "t" + t.ToString("0.00", CultureInfo.InvariantCulture)).ToList();
        for (var p = 0; p < lens.Images.Count; p++)
        {
            files.Add(Path.Combine(directory, $"lens_{p}.png"));
            ImageGridPng.Write(files[^1], lens.Images[p].Select(r => (IReadOnlyList<float[]?>)r.ToList<float[]?>()).ToList(),
                lens.ImageSize, lens.LayerNames, stepLabels, $"steering lens: {lens.Prompts[p]}", scale: 2);
            files.Add(Path.Combine(directory, $"cross_attention_{p}.png"));
            ImageGridPng.Write(files[^1],
                lens.CrossAttention[p].Select(maps => (IReadOnlyList<float[]?>)maps.Select(h => (float[]?)HeatOverlay.Blend(lens.Final[p], lens.ImageSize, h, lens.ImageSize, HeatOverlay.RedOverBlue)).ToList()).ToList(),
                lens.ImageSize, (lens.CrossAttentionNames ?? lens.LayerNames).Take(lens.CrossAttention[p].Count).ToList(), lens.TokenWords[p],
                $"cross-attention at step {lens.CrossAttentionStep}: {lens.Prompts[p]}", scale: 2);
        }
        files.Add(Path.Combine(directory, "samples.png"));
        ImageGridPng.Write(files[^1], [lens.Final.Select(f => (float[]?)f).ToList()], lens.ImageSize, ["final"],
            Enumerable.Range(0, lens.Final.Count).Select(i => $"prompt {i}").ToList(), "generated samples", scale: 3);
        return files;
    }

    /// <summary>Each ablation's cost as a heatmap: loss increase (share of baseline) and accuracy drops, one row per ablation.</summary>
    public static string WriteAblations(string directory, AblationResult result)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "ablations.png");
        var values = new double[result.Effects.Count, 4];
        for (var i = 0; i < result.Effects.Count; i++)
        {
            var e = result.Effects[i];
            (values[i, 0], values[i, 1], values[i, 2], values[i, 3]) = (e.RelativeLossIncrease, e.ColourDrop, e.PositionDrop, e.ShapeDrop);
        }
        var max = Math.Max(1e-6, values.Cast<double>().Max());
        HeatmapPng.Write(path, values, result.Effects.Select(e => e.Name).ToList(),
            $"ablation cost (loss increase as a share of {result.Baseline.Loss:0.000}; accuracy drops)", ["loss +", "colour -", "position -", "shape -"],
            min: Math.Min(0, values.Cast<double>().Min()), max: max);
        return path;
    }

    /// <summary>The mean ablation cost per head role.</summary>
    public static IReadOnlyList<RoleEffect> ByRole(IReadOnlyList<HeadSignals> roles, AblationResult result) =>
        roles.GroupBy(r => r.Role).Select(g =>
        {
            var effects = g.Select(r => result.Effects.First(e => e.Kind == r.Kind && e.Block == r.Block && e.Head == r.Head)).ToList();
            return new RoleEffect(g.Key.ToString().ToLowerInvariant(), g.Count(), g.Count(r => r.Kind == "attn"),
                100 * effects.Average(e => e.RelativeLossIncrease), effects.Average(e => e.ColourDrop),
                effects.Average(e => e.PositionDrop), effects.Average(e => e.ShapeDrop));
        }).OrderBy(r => r.Role, StringComparer.Ordinal).ToList();

    /// <summary>Steering during sampling: a grid per target colour (unsteered / feature / random, <paramref name="pictured"/>
    /// prompts each) and the success rates per timestep window beside both controls.</summary>
    public static IReadOnlyList<string> WriteSteering(string directory, DiffusionSteeringResult r, int pictured)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string> { Path.Combine(directory, "steering_grid.png"), Path.Combine(directory, "steering_success.png") };
        var colours = AttributeWords.Colours;
        var rows = Enumerable.Range(0, colours.Length).Select(colour => r.Pictures.Where(p => p.Colour == colour).ToList()).ToList();
        var columns = Enumerable.Range(0, pictured).SelectMany(k => new[] { $"p{k} plain", $"p{k} steer", $"p{k} random" }).ToList();
        ImageGridPng.Write(files[0],
            rows.Select(ps => (IReadOnlyList<float[]?>)ps.SelectMany(p => new[] { p.Unsteered, p.Steered, p.Random }).Select(x => (float[]?)x).ToList()).ToList(),
            r.ImageSize, colours.Select(x => "to " + x).ToList(), columns,
            $"steering towards a colour (window {r.Headline.Window.Name}): prompt of another colour, unsteered / feature / random", scale: 2);
        GroupedBarPng.Write(files[1], r.Windows.Select(w => $"{w.Window.Name} ({w.StepsSteered} steps)").ToList(),
            [
                new GroupedBarPng.Series("SAE feature", r.Windows.Select(w => w.Feature.Success).ToList()),
                new GroupedBarPng.Series("random direction, same norm", r.Windows.Select(w => w.Random.Success).ToList()),
                new GroupedBarPng.Series("unsteered", r.Windows.Select(_ => r.Unsteered.Success).ToList()),
            ], $"generated colour = steered-to colour ({r.Images} images per bar)", "success rate");
        return files;
    }

    static string Shorten(string prompt) => prompt.Length <= 40 ? prompt : prompt[..39] + "…";

    static string Name(ObjectAttribute a) => a.ToString().ToLowerInvariant();
}
