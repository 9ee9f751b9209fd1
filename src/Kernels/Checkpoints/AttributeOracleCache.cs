using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// The ShapesWorld attribute oracle for a model the zoo did not train (a diffusers pipeline): trained once per image
/// side on the zoo U-Net's recipe (its seeds and steps), then kept under <see cref="Directory"/> so the next analysis
/// loads it. Two processes that race each write a whole file of the same recipe (atomically); the last one stays.
/// </summary>
public sealed class AttributeOracleCache(string directory, int steps = 0)
{
    public string Directory { get; } = directory;

    /// <summary>Classifier training steps (0: the zoo U-Net recipe's).</summary>
    public int Steps { get; } = steps > 0 ? steps : new UNetZooConfig().ClassifierSteps;

    /// <summary>Under the system's temporary directory (a silo passes its cache instead).</summary>
    public static AttributeOracleCache Default => new(Path.Combine(Path.GetTempPath(), "mminterp-oracles"));

    public AttributeClassifier Get(int side)
    {
        var recipe = new UNetZooConfig();
        var path = Path.Combine(Directory, $"attribute-classifier-{side}px-{Steps}steps-seed{recipe.Seed + 1}.safetensors");
        if (File.Exists(path))
        {
            var loaded = TorchRuntime.Constructed(() => new AttributeClassifier(side));
            ClipCheckpoint.LoadWeights(loaded, path);
            loaded.eval();
            return loaded;
        }
        var (model, _) = AttributeClassifierTrainer.Train(side, recipe.Seed + 1, recipe.EvalSeed + 7, Steps);
        SafeTensors.Save(path, ClipCheckpoint.StateDict(model)); // atomic: a racing reader sees the whole file or none
        return model;
    }
}
