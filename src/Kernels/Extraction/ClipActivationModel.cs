using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>
/// A CLIP's vision tower over ShapesWorld images (<see cref="ClipActivationExtractor"/>) or a user's images
/// (<see cref="ClipImageExtractor"/>, preprocessed by <paramref name="preprocessor"/>: the checkpoint's
/// preprocessor_config.json, else the zoo's unnormalised [0, 1] pixels at the tower's size).
/// </summary>
public sealed class ClipActivationModel(ClipModel model, IImagePreprocessor? preprocessor = null)
    : ShapesWorldActivationModel<ClipModel>(model, model.Hooks, model.Config.Vision.ImageSize), IActivationModel, IImageActivationModel
{
    public override string Family => "clip";

    public IImagePreprocessor Preprocessor { get; } = preprocessor ?? ClipImageProcessor.ForUnnormalised(model.Config.Vision.ImageSize);

    public override Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks) =>
        Extract(seed, start, count, hooks, TokenSelection.All);

    public Dictionary<string, Tensor> Extract(long seed, long start, int count, IReadOnlyList<string> hooks, TokenSelection tokens) =>
        ClipActivationExtractor.Extract(Model, World, seed, start, count, hooks, device: Model.LogitScale.device, tokens: tokens);

    public ImageExtraction ExtractImages(IImageDataset dataset, IReadOnlyList<int> indices, IReadOnlyList<string> hooks, TokenSelection tokens = TokenSelection.All) =>
        ClipImageExtractor.Extract(Model, Preprocessor, dataset, indices, hooks, tokens: tokens);
}
