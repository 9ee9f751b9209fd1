using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Interp.Features;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.DataStudy;

/// <summary>CLIP zero-shot classification over a list of classes (a dataset's labels or a vocabulary), each embedded
/// through the vocabulary's prompt templates once, with no hooks attached; images go through the vision tower with
/// whatever function the caller puts at a hook.</summary>
public sealed class ZeroShotClassifier : IDisposable
{
    readonly ClipModel _model;
    readonly Tensor _classes;

    public ZeroShotClassifier(ClipModel model, ClipBpeTokenizer tokenizer, Vocabulary classes)
    {
        _model = model;
        Classes = classes.Concepts;
        if (Classes.Count < 2) throw new ArgumentException($"zero-shot classification needs at least two classes, '{classes.Name}' has {Classes.Count}", nameof(classes));
        var wasTraining = model.training;
        model.eval();
        try
        {
            _classes = FreeLabeler.ConceptEmbeddings(model, tokenizer, classes).detach().DetachFromDisposeScope();
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>With the classes' embeddings [classes, P] already computed (<see cref="FreeLabeler.ConceptEmbeddings"/>); they are copied.</summary>
    public ZeroShotClassifier(ClipModel model, IReadOnlyList<string> classes, Tensor embeddings)
    {
        _model = model;
        Classes = classes;
        if (Classes.Count < 2) throw new ArgumentException($"zero-shot classification needs at least two classes, got {Classes.Count}", nameof(classes));
        if (embeddings.dim() != 2 || embeddings.shape[0] != classes.Count)
            throw new ArgumentException($"class embeddings must be [{classes.Count}, P], got [{string.Join(",", embeddings.shape)}]", nameof(embeddings));
        _classes = embeddings.detach().to(model.LogitScale.device).clone().DetachFromDisposeScope();
    }

    public IReadOnlyList<string> Classes { get; }

    /// <summary>[B, classes] probabilities on the CPU for pixels [B, 3, H, W], in batches, with <paramref name="fn"/> at
    /// <paramref name="hook"/> when given. A function that edits rows by position needs the whole batch at once:
    /// pass a <paramref name="batchSize"/> of at least B.</summary>
    public Tensor Probabilities(Tensor images, int batchSize, string? hook = null, HookFn? fn = null)
    {
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, got {batchSize}", nameof(batchSize));
        using var _ = no_grad();
        var wasTraining = _model.training;
        _model.eval();
        var device = _model.LogitScale.device;
        var parts = new List<Tensor>();
        try
        {
            using (_model.Hooks.Scope())
            {
                if (fn is not null) _model.Hooks.Add(hook ?? throw new ArgumentNullException(nameof(hook)), fn);
                for (long start = 0; start < images.shape[0]; start += batchSize)
                {
                    using var scope = NewDisposeScope();
                    var chunk = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)).to(device);
                    var embeds = nn.functional.normalize(_model.EncodeImage(chunk), dim: -1);
                    parts.Add(nn.functional.softmax(embeds.matmul(_classes.t()) * _model.LogitScale.exp(), -1).cpu().MoveToOuterDisposeScope());
                }
            }
        }
        finally
        {
            _model.train(wasTraining);
        }
        if (parts.Count == 1) return parts[0];
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Each image's most probable class.</summary>
    public int[] Predict(Tensor images, int batchSize, string? hook = null, HookFn? fn = null)
    {
        using var probs = Probabilities(images, batchSize, hook, fn);
        using var argmax = probs.argmax(-1);
        return argmax.cpu().data<long>().Select(v => (int)v).ToArray();
    }

    public void Dispose() => _classes.Dispose();
}
