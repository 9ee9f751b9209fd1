using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Zoo;
using System.CommandLine;

namespace MMInterp.Client.Commands;

/// <summary>The training options shared by `zoo build diffusion` and `diffusion train`.</summary>
public sealed class DiffusionOptions
{
    readonly Option<long> _seed = new("--seed") { Description = "training seed (also the training split)", DefaultValueFactory = _ => DiffusionZooConfig.Default.Seed };
    readonly Option<int> _steps = new("--steps") { Description = "optimiser steps", DefaultValueFactory = _ => DiffusionZooConfig.Default.Steps };
    readonly Option<int> _batch = new("--batch") { Description = "batch size", DefaultValueFactory = _ => DiffusionZooConfig.Default.BatchSize };
    readonly Option<double> _lr = new("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => DiffusionZooConfig.Default.LearningRate };
    readonly Option<int> _width = new("--width") { Description = "denoiser width", DefaultValueFactory = _ => DiffusionZooConfig.Default.Width };
    readonly Option<int> _layers = new("--layers") { Description = "DiT blocks", DefaultValueFactory = _ => DiffusionZooConfig.Default.Layers };
    readonly Option<int> _sampleSteps = new("--sample-steps") { Description = "Euler steps when sampling", DefaultValueFactory = _ => DiffusionZooConfig.Default.SampleSteps };
    readonly Option<double> _guidance = new("--guidance") { Description = "classifier-free guidance scale", DefaultValueFactory = _ => DiffusionZooConfig.Default.Guidance };
    readonly Option<int> _evalImages = new("--eval-images") { Description = "generated images scored", DefaultValueFactory = _ => DiffusionZooConfig.Default.EvalImages };
    readonly Option<int> _threads = new("--threads") { Description = "CPU threads", DefaultValueFactory = _ => DiffusionZooConfig.Default.Threads };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _seed, _steps, _batch, _lr, _width, _layers, _sampleSteps, _guidance, _evalImages, _threads }) command.Options.Add(o);
    }

    public DiffusionZooConfig Read(ParseResult parse) => (DiffusionZooConfig.Default with
    {
        Seed = parse.GetValue(_seed), Steps = parse.GetValue(_steps), BatchSize = parse.GetValue(_batch), LearningRate = parse.GetValue(_lr),
        Width = parse.GetValue(_width), Layers = parse.GetValue(_layers), SampleSteps = parse.GetValue(_sampleSteps),
        Guidance = parse.GetValue(_guidance), EvalImages = parse.GetValue(_evalImages), Threads = parse.GetValue(_threads),
    }).Validate();
}
