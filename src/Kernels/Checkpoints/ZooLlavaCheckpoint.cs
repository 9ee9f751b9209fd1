using MMInterp.Kernels.Models.Vlm;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>A ShapesWorld VLM as the analyses load it: the zoo decoder or a zoo LLaVA, its word vocabulary, its directory.</summary>
public sealed record LoadedShapesVlm(IShapesVlm Model, VlmVocabulary Vocabulary, string Directory);

/// <summary>
/// Zoo LLaVA directories (vlm-zoo/6-7): an HF LLaVA as <see cref="LlavaCheckpoint.Save"/> writes it (config.json,
/// model.safetensors under HF's names) plus the zoo's word vocabulary (vocab.json, a JSON list) in place of a tokeniser.
/// </summary>
public static class ZooLlavaCheckpoint
{
    public static void Save(ZooLlava model, string directory)
    {
        LlavaCheckpoint.Save(model.Model, directory);
        model.Vocabulary.Save(directory);
        File.WriteAllText(Path.Combine(directory, Images.ClipImageProcessor.FileName), PreprocessorJson(model.ImageSize));
    }

    /// <summary>HF's preprocessor_config.json for what the zoo trains on (ShapesWorld floats in [0, 1], not normalised),
    /// so a user's images reach the model as ShapesWorld's do when it is served as an HF LLaVA.</summary>
    public static string PreprocessorJson(int imageSize) => new System.Text.Json.Nodes.JsonObject
    {
        ["image_processor_type"] = "CLIPImageProcessor",
        ["do_resize"] = true, ["size"] = new System.Text.Json.Nodes.JsonObject { ["shortest_edge"] = imageSize },
        ["do_center_crop"] = true, ["crop_size"] = new System.Text.Json.Nodes.JsonObject { ["height"] = imageSize, ["width"] = imageSize },
        ["do_rescale"] = true, ["rescale_factor"] = 1.0 / 255, ["do_normalize"] = false, ["do_convert_rgb"] = true,
    }.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    /// <summary>config.json and the zoo's vocab.json, and no vlm_config.json (that is the zoo decoder's).</summary>
    public static bool IsZooLlavaDirectory(string directory) =>
        File.Exists(Path.Combine(directory, LlavaCheckpoint.ConfigFile)) && File.Exists(Path.Combine(directory, VlmVocabulary.FileName))
        && !VlmCheckpoint.IsVlmDirectory(directory) && !File.Exists(Path.Combine(directory, "tokenizer.json")) && !File.Exists(Path.Combine(directory, "tokenizer.model"));

    public static ZooLlava Load(string directory, Device? device = null)
    {
        if (!IsZooLlavaDirectory(directory))
            throw new FileNotFoundException($"{directory} is not a zoo LLaVA directory (config.json and vocab.json, no tokeniser)");
        var vocabulary = VlmVocabulary.Load(directory);
        var loaded = LlavaCheckpoint.Load(directory, new LlavaLoadOptions { LoadTokenizer = false });
        try
        {
            var model = new ZooLlava(loaded.Model, vocabulary);
            if (device is not null) loaded.Model.to(device);
            return model;
        }
        catch (ArgumentException e)
        {
            loaded.Model.Dispose();
            throw new InvalidDataException($"{directory}: {e.Message}");
        }
    }

    /// <summary>Either kind of ShapesWorld VLM directory: the zoo decoder (vlm_config.json) or a zoo LLaVA.</summary>
    public static LoadedShapesVlm LoadShapes(string directory, Device? device = null)
    {
        if (VlmCheckpoint.IsVlmDirectory(directory))
        {
            var zoo = VlmCheckpoint.Load(directory, device);
            return new LoadedShapesVlm(zoo.Model, zoo.Vocabulary, directory);
        }
        var llava = Load(directory, device);
        return new LoadedShapesVlm(llava, llava.Vocabulary, directory);
    }
}
