using System.Text.Json;
using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Plots;
using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>What the figures show of the prompts: the text columns' labels (the last one is the answer position), the
/// first prompt's question and answer, the prompt count, and the first image as the tower reads it (planar RGB in [0, 1]).</summary>
public sealed record VlmFigureContext(IReadOnlyList<string> Words, string Question, string Answer, int Count, float[] Rgb, int ImageSize);

/// <summary>Writes the VLM analyses as PNGs and a figures JSON (headline numbers beside their controls).</summary>
public static class VlmFigures
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Rows x [object patches, other patches, text positions...]: each prompt's object patches averaged, then
    /// the prompts that give their object; when none does, rows x [image patches, text positions...].</summary>
    public static double[,] ByRegion(TracingMap map, TracingResult result)
    {
        var (n, rows, t) = (map.Prob.GetLength(0), map.Prob.GetLength(1), map.Prob.GetLength(2));
        var p = result.ImageTokens;
        var scored = Enumerable.Range(0, n).Where(i => result.Scored.Length == 0 || result.Scored[i]).ToList();
        var regions = scored.Count > 0 ? 2 : 1;
        var m = new double[rows, regions + t - p];
        for (var i = 0; i < n; i++)
        for (var r = 0; r < rows; r++)
        {
            if (regions == 1)
            {
                for (var j = 0; j < p; j++) m[r, 0] += map.Prob[i, r, j] / p / n;
            }
            else if (scored.Contains(i))
            {
                double obj = 0, other = 0;
                int no = 0, nt = 0;
                for (var j = 0; j < p; j++)
                    if (result.ObjectPatches[i, j]) { obj += map.Prob[i, r, j]; no++; } else { other += map.Prob[i, r, j]; nt++; }
                m[r, 0] += (no == 0 ? 0 : obj / no) / scored.Count;
                m[r, 1] += (nt == 0 ? 0 : other / nt) / scored.Count;
            }
            for (var k = 0; k < t - p; k++) m[r, regions + k] += map.Prob[i, r, p + k] / n;
        }
        return m;
    }

    public static IReadOnlyList<string> WriteTracing(string directory, TracingResult result, VlmPrompts prompts, ShapesWorldGenerator world) =>
        WriteTracing(directory, result, new VlmFigureContext(prompts.Words, prompts.Questions[0].Question, prompts.Questions[0].Answer, prompts.Count,
            world.Render(prompts.Scenes[0]).Rgb, world.Config.ImageSize));

    public static IReadOnlyList<string> WriteTracing(string directory, TracingResult result, VlmFigureContext context)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        var words = context.Words;
        var regions = result.AnyScored || result.Scored.Length == 0 ? new[] { "object", "other" } : ["image"];
        var columns = regions.Concat(words.Select((w, k) => k == words.Count - 1 ? $"{w}(ans)" : w)).ToList();
        foreach (var (kind, map) in result.Maps)
        {
            var path = Path.Combine(directory, $"tracing_{kind}.png");
            var values = ByRegion(map, result);
            var (min, max) = Range(values);
            HeatmapPng.Write(path, values, map.Rows,
                $"restored p(answer), {kind}, mean of {context.Count}: clean {result.MeanClean:0.00} corrupt {result.MeanCorrupt:0.00}", columns, min: min, max: max);
            files.Add(path);
        }
        var resid = result.Maps["resid"];
        var (rows, t) = (resid.Prob.GetLength(1), resid.Prob.GetLength(2));
        var first = new double[rows, t];
        for (var r = 0; r < rows; r++) for (var j = 0; j < t; j++) first[r, j] = resid.Prob[0, r, j];
        var marks = Enumerable.Range(0, t).Select(j => j < result.ImageTokens && result.ObjectPatches[0, j]).ToArray();
        var example = Path.Combine(directory, "tracing_example.png");
        var (lo, hi) = Range(first);
        HeatmapPng.Write(example, first, resid.Rows, $"'{context.Question}' -> {context.Answer}: restore one state (layer x position)",
            markedColumns: marks, min: lo, max: hi);
        files.Add(example);
        var side = (int)Math.Round(Math.Sqrt(result.ImageTokens));
        var panels = Enumerable.Range(0, rows).Select(r => new PatchMapPng.Panel($"restore {resid.Rows[r]}",
            Enumerable.Range(0, result.ImageTokens).Select(j => resid.Prob[0, r, j]).ToArray())).ToList();
        var patches = Path.Combine(directory, "tracing_patches.png");
        PatchMapPng.Write(patches, context.Rgb, context.ImageSize, side, panels,
            Enumerable.Range(0, result.ImageTokens).Select(j => result.ObjectPatches[0, j]).ToArray(), $"'{context.Question}' restored p(answer) per patch");
        files.Add(patches);
        return files;
    }

    /// <summary>The colour scale spans the values shown (restored probabilities sit between corrupted and clean).</summary>
    static (double Min, double Max) Range(double[,] values)
    {
        var all = values.Cast<double>().ToList();
        var (min, max) = (all.Min(), all.Max());
        return max - min < 1e-6 ? (min, min + 1e-6) : (min, max);
    }

    public static string WriteLogitLens(string directory, LogitLensResult result, VlmPrompts prompts, ShapesWorldGenerator world)
    {
        Directory.CreateDirectory(directory);
        var (rgb, _) = world.Render(prompts.Scenes[0]);
        var side = (int)Math.Round(Math.Sqrt(result.FirstPromptObject.Length));
        var panels = result.Rows.Select((row, r) => new PatchMapPng.Panel($"lens {row.Layer} top-1", Words: result.FirstPromptTop1[r])).ToList();
        var path = Path.Combine(directory, "logit_lens.png");
        PatchMapPng.Write(path, rgb, world.Config.ImageSize, side, panels, result.FirstPromptObject, $"logit lens on visual tokens: '{result.FirstPromptQuestion}'");
        // The table as a figure: rows = layers, columns = object vs other-patch hit rates.
        var table = new double[result.Rows.Count, 4];
        for (var r = 0; r < result.Rows.Count; r++)
        {
            table[r, 0] = result.Rows[r].ObjectColourTopK; table[r, 1] = result.Rows[r].OtherColourTopK;
            table[r, 2] = result.Rows[r].ObjectShapeTopK; table[r, 3] = result.Rows[r].OtherShapeTopK;
        }
        HeatmapPng.Write(Path.Combine(directory, "logit_lens_table.png"), table, result.Rows.Select(x => x.Layer).ToList(),
            $"share of patches whose top-{result.TopK} lens words hold the object's word", ["colour on obj", "colour off obj", "shape on obj", "shape off obj"]);
        return path;
    }

    /// <summary>The answer lens (<see cref="AnswerLens"/>): the first prompt's top-1 word per patch per state, and the
    /// table of rows = states x [answer in top-k on object / other / all patches, answer top-1 at the answer position].</summary>
    public static string WriteAnswerLens(string directory, AnswerLensResult result, VlmFigureContext context)
    {
        Directory.CreateDirectory(directory);
        var side = (int)Math.Round(Math.Sqrt(result.FirstPromptObject.Length));
        var panels = result.Rows.Select((row, r) => new PatchMapPng.Panel($"lens {row.Layer} top-1", Words: result.FirstPromptTop1[r])).ToList();
        var path = Path.Combine(directory, "logit_lens.png");
        PatchMapPng.Write(path, context.Rgb, context.ImageSize, side, panels, result.FirstPromptObject, $"logit lens on visual tokens: '{context.Question}'");
        var table = new double[result.Rows.Count, 4];
        for (var r = 0; r < result.Rows.Count; r++)
        {
            var row = result.Rows[r];
            table[r, 0] = double.IsNaN(row.ObjectAnswerTopK) ? 0 : row.ObjectAnswerTopK; table[r, 1] = double.IsNaN(row.OtherAnswerTopK) ? 0 : row.OtherAnswerTopK;
            table[r, 2] = row.ImageAnswerTopK; table[r, 3] = row.AnswerTop1;
        }
        HeatmapPng.Write(Path.Combine(directory, "logit_lens_table.png"), table, result.Rows.Select(x => x.Layer).ToList(),
            $"answer token in the top-{result.TopK} lens words of patches; top-1 at the answer", ["on obj", "off obj", "all patches", "top-1 at answer"]);
        return path;
    }

    public static string WriteJson(string directory, string name, object figures)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, JsonSerializer.Serialize(figures, Json));
        return path;
    }
}
