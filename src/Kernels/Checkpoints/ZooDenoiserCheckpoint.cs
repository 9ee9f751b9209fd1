using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.PipelineDenoiser;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A text-to-image directory of any kind the diffusion analyses read: the zoo U-Net
/// (<see cref="UNetZooCheckpoint"/>, unet/ beside zoo.json), the zoo DiT (<see cref="DiffusionCheckpoint"/>), or a
/// diffusers Stable Diffusion 1.x/2.x pipeline (model_index.json; <see cref="SdPipelineDenoiser"/>, on the CPU, its
/// attribute oracle from <see cref="AttributeOracleCache"/>).</summary>
public static class ZooDenoiserCheckpoint
{
    public static bool IsUNet(string directory) =>
        File.Exists(Path.Combine(directory, UNetZooCheckpoint.ZooFile)) && Directory.Exists(Path.Combine(directory, UNetZooCheckpoint.UNetFolder));

    /// <summary>Whether the analyses can read the directory (the zoo DiT's config, the zoo U-Net, or a pipeline's index).</summary>
    public static bool IsDenoiserDirectory(string directory) =>
        IsUNet(directory) || File.Exists(Path.Combine(directory, DiffusionCheckpoint.ConfigFile)) || StableDiffusionDirectory.IsPipelineDirectory(directory);

    public static IZooDenoiser Load(string directory, Device? device = null, AttributeOracleCache? oracles = null)
    {
        if (StableDiffusionDirectory.IsPipelineDirectory(directory))
        {
            var pipeline = StableDiffusionDirectory.Load(directory);
            try { return new SdPipelineDenoiser(pipeline, (oracles ?? AttributeOracleCache.Default).Get); }
            catch { pipeline.Dispose(); throw; }
        }
        return IsUNet(directory) ? UNetZooCheckpoint.Load(directory, device) : DiffusionCheckpoint.Load(directory, device);
    }
}
