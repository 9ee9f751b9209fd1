using System.CommandLine;
using System.Text.Json.Nodes;
using MMInterp.Client.Platform;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Interp.Vlm;

namespace MMInterp.Client.Commands;

/// <summary>
/// `--data FILE.jsonl` of the VLM study commands: a user's images and questions for an HF LLaVA instead of ShapesWorld.
/// The file is checked whole before anything starts (a bad line is one error line and exit code 2); then the JSONL and
/// the images and masks it names are stored as one folder artefact, which the experiment's options name (data,
/// data_file), so the run is reproducible from the registry.
/// </summary>
public static class VlmDataOption
{
    public const string Flag = "--data";

    public static Option<string?> Create() => new(Flag)
    {
        Description = "a JSONL of {\"image\": path (relative to the file), \"question\", \"answer\", optional \"box\": [x0,y0,x1,y1] or \"mask\": PNG} to study on an HF LLaVA instead of ShapesWorld",
    };

    // What Check read, so StoreAsync does not decode every image a second time.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ParseResult, IReadOnlyList<VlmUserItem>> Checked = new();

    /// <summary>The examples, checked (null without --data).</summary>
    public static IReadOnlyList<VlmUserItem>? Check(ParseResult parse)
    {
        if (parse.GetValue<string?>(Flag) is not { } path) return null;
        var items = VlmUserData.Load(path);
        Checked.AddOrUpdate(parse, items);
        return items;
    }

    /// <summary>Stores the data folder's files and names them in the options.</summary>
    public static async Task StoreAsync(ParseResult parse, PlatformSession session, JsonObject options, CancellationToken ct)
    {
        if (parse.GetValue<string?>(Flag) is not { } path) return;
        var items = Checked.TryGetValue(parse, out var read) ? read : VlmUserData.Load(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        var files = items.SelectMany(i => i.Mask is null ? [i.ImagePath] : new[] { i.ImagePath, i.MaskPath! })
            .Select(f => Path.GetFullPath(Path.Combine(folder, f))).Append(full).Distinct().ToList();
        var stored = await session.Artefacts.PutFilesAsync(folder, files, ct);
        options["data"] = stored.Sha256;
        options["data_file"] = Path.GetRelativePath(folder, full).Replace(Path.DirectorySeparatorChar, '/');
        Console.WriteLine($"data {Path.GetFileName(full)}: {items.Count} examples, {items.Count(i => i.Box is not null || i.Mask is not null)} with a box or mask; stored as {stored.Sha256[..12]}");
    }
}
