namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>
/// The layers of MMInterp.Kernels, bottom first, by top-level namespace (MMInterp.Kernels.X; X's sub-namespaces belong
/// to X). A namespace may use namespaces of its own layer and of the layers below, and the namespace graph has no cycle,
/// within a layer either. docs/ARCHITECTURE.md ("Projects and layers") describes the same order; change both together.
/// </summary>
public static class KernelLayers
{
    public static IReadOnlyList<Layer> Order { get; } =
    [
        // Tensors and files; text tokenizers; telemetry; the generic optimiser; the content-addressed store; image
        // decoding and preprocessing (and the pixel font); drawing primitives over plain arrays.
        new("foundation", ["Tensors", "IO", "Text", "Diagnostics", "Training", "Artefacts", "Images", "Plots"]),
        // Where images come from: the synthetic world and users' datasets.
        new("data", ["ShapesWorld", "Datasets"]),
        new("hooks", ["Hooks"]),
        // Architectures, and what a loaded model is (bundles, evaluators, the metrics they return).
        new("models", ["Models"]),
        new("checkpoints", ["Checkpoints"]),
        new("activations", ["Activations", "Extraction", "Sae"]),
        // Everything that reads a model and its activations to answer a question; may use all but Zoo.
        new("analyses", ["Probes", "Interp", "Analyses"]),
        // Trainers of the tiny zoo models: the top, nothing under Kernels uses them.
        new("zoo", ["Zoo"]),
    ];
}

/// <summary>A named layer and the top-level namespaces in it.</summary>
public sealed record Layer(string Name, IReadOnlyList<string> Namespaces);
