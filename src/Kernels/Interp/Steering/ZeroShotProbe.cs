using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.ShapesWorld;
using MMInterp.Kernels.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Steering;

/// <summary>Zero-shot probabilities per attribute (softmax over the value prompts of <see cref="Captions.Prompt"/>,
/// at the model's logit scale) for images passed through the vision tower with whatever hooks are attached to it.
/// The prompt embeddings are computed once, when the probe is made, with no hooks attached.</summary>
public sealed class ZeroShotProbe : IDisposable
{
    readonly ClipModel _model;
    readonly Dictionary<ObjectAttribute, Tensor> _prompts = [];

    public ZeroShotProbe(ClipModel model, ClipBpeTokenizer tokenizer, IEnumerable<ObjectAttribute> attributes)
    {
        _model = model;
        Attributes = attributes.Distinct().ToList();
        if (Attributes.Count == 0) throw new ArgumentException("a zero-shot probe needs at least one attribute", nameof(attributes));
        using var _ = no_grad();
        var wasTraining = model.training;
        model.eval();
        foreach (var a in Attributes)
            _prompts[a] = ClipEvaluator.PromptEmbeddings(model, tokenizer, a).detach().DetachFromDisposeScope();
        model.train(wasTraining);
    }

    public IReadOnlyList<ObjectAttribute> Attributes { get; }

    /// <summary>attribute -> [B, values] probabilities on the CPU, for images [B, 3, H, W], in batches of <paramref name="batchSize"/>.</summary>
    public Dictionary<ObjectAttribute, Tensor> Probabilities(Tensor images, int batchSize = 256)
    {
        if (batchSize < 1) throw new ArgumentException($"batchSize must be at least 1, got {batchSize}", nameof(batchSize));
        using var _ = no_grad();
        var wasTraining = _model.training;
        _model.eval();
        var device = _model.LogitScale.device;
        var parts = Attributes.ToDictionary(a => a, _ => new List<Tensor>());
        for (long start = 0; start < images.shape[0]; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start)).to(device);
            var embeds = nn.functional.normalize(_model.EncodeImage(chunk), dim: -1);
            var scale = _model.LogitScale.exp();
            foreach (var a in Attributes)
                parts[a].Add(nn.functional.softmax(embeds.matmul(_prompts[a].t()) * scale, -1).cpu().MoveToOuterDisposeScope());
        }
        _model.train(wasTraining);
        return parts.ToDictionary(kv => kv.Key, kv => kv.Value.Count == 1 ? kv.Value[0] : cat(kv.Value, 0));
    }

    public void Dispose()
    {
        foreach (var t in _prompts.Values) t.Dispose();
        _prompts.Clear();
    }
}
