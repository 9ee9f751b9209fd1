using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Grains.Contracts.ZooBuilds;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Zoo;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp zoo build unet`: has the zoo's text-to-image U-Net built (once per config, after the zoo CLIP it is
/// conditioned on; the default config's ships with the code and is restored, another trains about 40 CPU minutes at the
/// default size), which registers it in the diffusion family
/// (`analyze diffusion --model ID` reads it); prints its held-out figures and exports its directory.</summary>
public static class ZooUNetCommand
{
    public static Command Create()
    {
        var d = UNetZooConfig.Default;
        var command = new Command("unet", "tiny text-to-image U-Net (diffusers' UNet2DConditionModel, cross-attention to the zoo CLIP) on ShapesWorld");
        var output = new Option<string>("--out") { Description = $"output directory (default: {OutputPaths.Shown("zoo/unet")})", DefaultValueFactory = _ => OutputPaths.Under("zoo/unet") };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:n]", DefaultValueFactory = _ => "cpu" };
        var seed = new Option<long>("--seed") { Description = "training seed (also the training split)", DefaultValueFactory = _ => d.Seed };
        var steps = new Option<int>("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => d.Steps };
        var sampleSteps = new Option<int>("--sample-steps") { Description = "DDIM steps when sampling", DefaultValueFactory = _ => d.SampleSteps };
        var guidance = new Option<double>("--guidance") { Description = "classifier-free guidance scale", DefaultValueFactory = _ => d.Guidance };
        var evalImages = new Option<int>("--eval-images") { Description = "generated images scored", DefaultValueFactory = _ => d.EvalImages };
        var db = DatabaseOption.Create();
        foreach (var o in new Option[] { db, output, device, seed, steps, sampleSteps, guidance, evalImages }) command.Options.Add(o);
        CliAction.Set(command, async (parse, ct) =>
        {
            var config = (d with
            {
                Seed = parse.GetValue(seed), Steps = parse.GetValue(steps), SampleSteps = parse.GetValue(sampleSteps),
                Guidance = parse.GetValue(guidance), EvalImages = parse.GetValue(evalImages),
            }).Validate();
            var dev = ZooCommand.Device(parse.GetValue(device)!);
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            return await ZooDiffusionCommand.BuildAsync(session, "zoo U-Net", ZooBuildSpec.UNet(config, ClipZooConfig.Default, dev),
                config.EvalSeed, config.SampleSteps, config.Guidance, parse.GetValue(output)!, ct);
        });
        return command;
    }
}
