using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Datasets;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Models.Diffusion;

namespace MMInterp.Kernels.Analyses;

/// <summary>A registered dictionary as an analysis sees it: its id, the hook it reads, its SAE (the caller disposes it) and
/// the tokens of each image it was trained on (its activation set's <see cref="TokenSelection"/>).</summary>
public sealed record AnalysisDictionary(string Id, string HookPoint, SparseAutoencoder Sae, TokenSelection Tokens = TokenSelection.All);

/// <summary>
/// What an analysis may load, implemented where it runs (the silo, over the registry and the artefact store). Every
/// load is a fresh copy the analysis owns and disposes: analyses set hooks for minutes, which must not leak into models
/// shared with other work. A wrong family or a missing artefact is an ArgumentException naming it.
/// </summary>
public interface IAnalysisInputs
{
    string ModelId { get; }
    string? DictionaryId { get; }
    string? HookPoint { get; }
    string OptionsJson { get; }
    /// <summary>A scratch directory for pictures and files; deleted after the result is stored.</summary>
    string WorkDirectory { get; }

    Task<LoadedClip> ClipAsync(CancellationToken ct);
    Task<LoadedShapesVlm> VlmAsync(CancellationToken ct);
    /// <summary>The spec's model as an HF LLaVA (registered with `models add DIR --family vlm`), with its tokeniser.</summary>
    Task<LoadedLlava> LlavaAsync(CancellationToken ct);
    /// <summary>The spec's zoo text-to-image model: the DiT or the U-Net (<see cref="Checkpoints.ZooDenoiserCheckpoint"/>).</summary>
    Task<IZooDenoiser> DiffusionAsync(CancellationToken ct);
    /// <summary>A dictionary trained on the spec's model; null = the spec's own (which must then match the spec's hook).</summary>
    Task<AnalysisDictionary> DictionaryAsync(string? id, CancellationToken ct);
    Task<IImageDataset> DatasetAsync(string id, CancellationToken ct);
    /// <summary>A stored artefact as a local path: a directory for a directory manifest, else the verified file.</summary>
    Task<string> ArtefactAsync(string sha256, bool directory, CancellationToken ct);
}
