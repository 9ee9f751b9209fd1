using MMInterp.Kernels.ShapesWorld;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Diffusion;

/// <summary>A small supervised CNN that reads every attribute of a single-object ShapesWorld image; it scores
/// generated images against their prompts.</summary>
public sealed class AttributeClassifier : nn.Module
{
    public static readonly ObjectAttribute[] Attributes = Enum.GetValues<ObjectAttribute>();
    readonly Sequential _features;
    readonly Linear _hidden, _heads;

    public AttributeClassifier(int imageSize) : base("attribute_classifier")
    {
        if (imageSize < 16 || imageSize % 8 != 0) throw new ArgumentException($"imageSize must be a multiple of 8 and at least 16, got {imageSize}", nameof(imageSize));
        ImageSize = imageSize;
        _features = nn.Sequential(
            ("conv1", nn.Conv2d(3, 32, 3, padding: 1)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(32, 48, 3, stride: 2, padding: 1)), ("relu2", nn.ReLU()),
            ("conv3", nn.Conv2d(48, 64, 3, stride: 2, padding: 1)), ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(64, 64, 3, stride: 2, padding: 1)), ("relu4", nn.ReLU()));
        var side = imageSize / 8;
        register_module("features", _features);
        register_module("hidden", _hidden = nn.Linear(64 * side * side, 128));
        register_module("heads", _heads = nn.Linear(128, Attributes.Sum(AttributeWords.Count)));
    }

    public int ImageSize { get; }

    /// <summary>Logits per attribute for images [B, 3, S, S] in [0, 1]; larger images are area-averaged down to
    /// <see cref="ImageSize"/> first (a pipeline's 512-pixel images are read at the oracle's side).</summary>
    public IReadOnlyDictionary<ObjectAttribute, Tensor> Logits(Tensor images)
    {
        if (images.shape[^1] != ImageSize || images.shape[^2] != ImageSize)
        {
            if (images.shape[^1] < ImageSize || images.shape[^2] < ImageSize)
                throw new ArgumentException($"images are {images.shape[^1]}x{images.shape[^2]}; this classifier reads {ImageSize}x{ImageSize} or larger", nameof(images));
            images = nn.functional.adaptive_avg_pool2d(images, [ImageSize, ImageSize]);
        }
        var h = nn.functional.relu(_hidden.forward(_features.forward(images).flatten(1)));
        var all = _heads.forward(h);
        var result = new Dictionary<ObjectAttribute, Tensor>();
        long at = 0;
        foreach (var a in Attributes)
        {
            var n = AttributeWords.Count(a);
            result[a] = all.narrow(1, at, n);
            at += n;
        }
        return result;
    }

    /// <summary>Predicted value per attribute, [B] int64 each.</summary>
    public IReadOnlyDictionary<ObjectAttribute, Tensor> Predict(Tensor images)
    {
        using var _ = no_grad();
        return Logits(images).ToDictionary(kv => kv.Key, kv => kv.Value.argmax(-1));
    }
}
