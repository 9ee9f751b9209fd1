using MMInterp.Kernels.IO;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>The goldens tests/reference/sd_unet_reference.py wrote from the CompVis (sd1) and Stability-AI sgm (sd2,
/// sdxl) U-Nets: a diffusers unet/ directory (config.json + F16 diffusion_pytorch_model.safetensors) and
/// golden.safetensors (sample, timestep, encoder_hidden_states, text_embeds/time_ids for SDXL, out).</summary>
internal static class SdUnetGolden
{
    public static readonly string[] Cases = ["sd_unet_sd1", "sd_unet_sd2", "sd_unet_sdxl"];

    // The golden directories are copied beside the Llama goldens (the project links all of tests/reference/golden).
    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "LlmGolden", name);

    /// <summary>The inputs and the reference's output (caller's dispose scope owns them).</summary>
    public static Dictionary<string, Tensor> Load(string name) => SafeTensors.Load(Path.Combine(Dir(name), "golden.safetensors")).Tensors;

    /// <summary>A copy of a case's directory whose weights are rewritten by <paramref name="write"/> (state dict ->
    /// files in the directory); config.json is copied unless <paramref name="config"/> replaces its text.</summary>
    public static string Copy(string name, Action<string, Dictionary<string, Tensor>> write, string? config = null)
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-unet-").FullName;
        if (config is null) File.Copy(Path.Combine(Dir(name), "config.json"), Path.Combine(dir, "config.json"));
        else File.WriteAllText(Path.Combine(dir, "config.json"), config);
        using var scope = NewDisposeScope();
        var state = SafeTensors.Load(Path.Combine(Dir(name), "diffusion_pytorch_model.safetensors")).Tensors;
        write(dir, state);
        return dir;
    }
}
