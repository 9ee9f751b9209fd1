using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using MMInterp.Kernels.Models.ZooUNet;
using MMInterp.Kernels.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>The zoo U-Net with everything that judges it, in diffusers' folder names where diffusers has one:
/// unet/ (config.json + diffusion_pytorch_model.safetensors), scheduler/scheduler_config.json, text_encoder/ (the
/// frozen zoo CLIP in HF layout, with its tokenizer), classifier.safetensors (the attribute oracle) and zoo.json
/// (recipe, metrics, loss curve).</summary>
public static class UNetZooCheckpoint
{
    public const string ZooFile = "zoo.json", ClassifierFile = "classifier.safetensors";
    public const string UNetFolder = "unet", SchedulerFolder = "scheduler", TextEncoderFolder = "text_encoder";

    public static IReadOnlyList<string> Save(UNetZooModel model, string directory, JsonObject zoo)
    {
        Directory.CreateDirectory(directory);
        UNetCheckpoint.Save(model.UNet, Path.Combine(directory, UNetFolder));
        var schedulerDir = Directory.CreateDirectory(Path.Combine(directory, SchedulerFolder)).FullName;
        SchedulerConfigJson.Write(UNetZooConfig.Scheduler, Path.Combine(schedulerDir, StableDiffusionDirectory.SchedulerFile));
        ClipCheckpoint.Save(model.Text.Clip, model.Text.Tokenizer, Path.Combine(directory, TextEncoderFolder));
        SafeTensors.Save(Path.Combine(directory, ClassifierFile), ClipCheckpoint.StateDict(model.Classifier));
        zoo["config"] = JsonSerializer.SerializeToNode(model.Config);
        File.WriteAllText(Path.Combine(directory, ZooFile), zoo.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
    }

    public static UNetZooModel Load(string directory, Device? device = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"zoo U-Net directory not found: {directory}");
        var zooPath = Path.Combine(directory, ZooFile);
        if (!File.Exists(zooPath)) throw new FileNotFoundException($"'{directory}' is not a zoo U-Net: it has no {ZooFile}", zooPath);
        UNetZooConfig config;
        try { config = (JsonFiles.ReadObject(zooPath)["config"].Deserialize<UNetZooConfig>() ?? throw new InvalidDataException($"'{zooPath}': no config")).Validate(); }
        catch (JsonException e) { throw new InvalidDataException($"'{zooPath}': not a valid zoo U-Net config: {e.Message}"); }
        catch (ArgumentException e) { throw new InvalidDataException($"'{zooPath}': {JsonFiles.Reason(e)}", e); }
        var clip = ClipCheckpoint.Load(Path.Combine(directory, TextEncoderFolder), device);
        if (clip.Tokenizer is null) throw new InvalidDataException($"'{directory}/{TextEncoderFolder}' has no tokenizer (vocab.json, merges.txt)");
        var parts = new List<IDisposable> { clip.Model };
        try
        {
            var unet = UNetCheckpoint.Load(Path.Combine(directory, UNetFolder)).Model;
            parts.Add(unet);
            if (unet.Config.InChannels != config.UNet(clip.Model.Config.Text.Tower.HiddenSize).InChannels || unet.Config.OutChannels != 3 || unet.Config.SampleSize != config.ImageSize || unet.Config.CrossAttentionDim != clip.Model.Config.Text.Tower.HiddenSize)
                throw new InvalidDataException($"'{directory}/{UNetFolder}/config.json' does not match {ZooFile}: in_channels {unet.Config.InChannels}, out_channels {unet.Config.OutChannels}, sample_size {unet.Config.SampleSize}, cross_attention_dim {unet.Config.CrossAttentionDim}");
            var classifier = TorchRuntime.Constructed(() => new AttributeClassifier(config.ImageSize));
            parts.Add(classifier);
            ClipCheckpoint.LoadWeights(classifier, Path.Combine(directory, ClassifierFile));
            if (device is not null) { unet.to(device); classifier.to(device); }
            unet.eval();
            classifier.eval();
            return new UNetZooModel(unet, new TextConditioner(clip.Model, clip.Tokenizer, config.ContextLength, config.ClipSkip), classifier, config);
        }
        catch
        {
            foreach (var p in parts) p.Dispose();
            throw;
        }
    }
}
