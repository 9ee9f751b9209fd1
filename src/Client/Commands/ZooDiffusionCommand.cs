using System.CommandLine;
using System.Text.Json;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Tensors;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp zoo build diffusion`: has the tiny text-to-image model built (once per config and text encoder, as a
/// ZooBuild grain that builds the zoo CLIP first when needed), which registers it; prints its figures and exports it.</summary>
public static class ZooDiffusionCommand
{
    public static Command Create()
    {
        var command = new Command("diffusion", "tiny text-to-image DiT (cross-attention to the zoo CLIP's text tower) on ShapesWorld");
        var output = new Option<string>("--out") { Description = $"output directory (default: {OutputPaths.Shown("zoo/diffusion")})", DefaultValueFactory = _ => OutputPaths.Under("zoo/diffusion") };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:n]", DefaultValueFactory = _ => "cpu" };
        var db = DatabaseOption.Create();
        var options = new DiffusionOptions();
        options.AddTo(command);
        foreach (var o in new Option[] { db, output, device }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var config = options.Read(parse);
            var dev = ZooCommand.Device(parse.GetValue(device)!);
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            return await BuildAsync(session, ZooBuildSpec.Diffusion(config, ClipZooConfig.Default, dev), config, parse.GetValue(output)!, ct);
        });
        return command;
    }

    /// <summary>Has the cluster build <paramref name="spec"/> (or finds it built), prints its figures and exports it to <paramref name="dir"/>.</summary>
    internal static Task<int> BuildAsync(PlatformSession session, ZooBuildSpec spec, DiffusionZooConfig config, string dir, CancellationToken ct) =>
        BuildAsync(session, "tiny diffusion", spec, config.EvalSeed, config.SampleSteps, config.Guidance, dir, ct);

    /// <summary>The same for any zoo text-to-image recipe (the DiT's, the U-Net's): its held-out figures are printed
    /// with the split and sampler they were measured with.</summary>
    internal static async Task<int> BuildAsync(PlatformSession session, string title, ZooBuildSpec spec, long evalSeed, int sampleSteps, double guidance,
        string dir, CancellationToken ct)
    {
        var zooModel = await CliAction.WithProgress(title, report => ZooCatalog.EnsureAsync(session, spec, (p, note) => report(p, note), ct));
        if (zooModel.Cached) Console.WriteLine($"cached: {zooModel.Model.Id} was trained with this config before");
        var m = zooModel.Metrics?.Deserialize<DiffusionMetrics>();
        if (m is not null) DiffusionCommand.PrintMetrics(m, zooModel.TrainSeconds, evalSeed, sampleSteps, guidance);
        Console.WriteLine($"registered model {zooModel.Model.Id} (checkpoint {zooModel.Model.CheckpointSha256})");
        Console.WriteLine(await ZooCatalog.ExportAsync(session, zooModel, dir, ct) is { } exported ? $"exported to {exported}" : $"not exported: {dir} is not empty");
        return 0;
    }
}
