using MMInterp.Kernels.Datasets;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Extraction;

/// <summary>An item that was skipped because it could not be read or decoded.</summary>
public sealed record SkippedImage(string Key, string Problem)
{
    public override string ToString() => $"{Key}: {Problem}";
}

/// <summary>Rows per hook ([images * tokens, d], the caller owns them), how many images went in, and the skipped ones.</summary>
public sealed record ImageExtraction(Dictionary<string, Tensor> Rows, int Images, IReadOnlyList<SkippedImage> Skipped);

/// <summary>A model that can run over a user's images (preprocessed as its checkpoint says).</summary>
public interface IImageActivationModel
{
    Images.IImagePreprocessor Preprocessor { get; }

    /// <summary>Items <paramref name="indices"/> of <paramref name="dataset"/>; undecodable ones are skipped and named, never thrown.</summary>
    ImageExtraction ExtractImages(IImageDataset dataset, IReadOnlyList<int> indices, IReadOnlyList<string> hooks, TokenSelection tokens = TokenSelection.All);
}
