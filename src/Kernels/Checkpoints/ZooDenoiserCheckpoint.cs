using MMInterp.Kernels.Models.Diffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A zoo text-to-image directory of either kind, as the diffusion analyses read it: the zoo U-Net
/// (<see cref="UNetZooCheckpoint"/>, unet/ beside zoo.json) or the zoo DiT (<see cref="DiffusionCheckpoint"/>).</summary>
public static class ZooDenoiserCheckpoint
{
    public static bool IsUNet(string directory) =>
        File.Exists(Path.Combine(directory, UNetZooCheckpoint.ZooFile)) && Directory.Exists(Path.Combine(directory, UNetZooCheckpoint.UNetFolder));

    public static IZooDenoiser Load(string directory, Device? device = null) =>
        IsUNet(directory) ? UNetZooCheckpoint.Load(directory, device) : DiffusionCheckpoint.Load(directory, device);
}
