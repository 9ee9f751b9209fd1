using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Text;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>What the study reads: a CLIP (any checkpoint), an SAE on one of its vision hooks, the user's images with the
/// preprocessor the checkpoint asks for, the vocabulary free labels (and, on an unlabelled dataset, steering and the
/// attack) draw from, and the directory the pictures are written to.</summary>
public sealed record ClipDataStudyInputs(
    ClipModel Model,
    ClipBpeTokenizer Tokenizer,
    ISparseAutoencoder Sae,
    string Hook,
    IImageDataset Dataset,
    IImagePreprocessor Preprocessor,
    Vocabulary Vocabulary,
    string PictureDirectory);
