using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>HF embed_tokens ("weight" [vocab, hidden]) kept in its storage dtype; rows are looked up, then cast to float32.</summary>
public sealed class StoredEmbedding : nn.Module
{
    readonly Parameter _weight;
    readonly int _vocab;

    public StoredEmbedding(string name, int vocab, int hidden, ScalarType dtype, bool initialise) : base(name)
    {
        _vocab = vocab;
        _weight = LlmParameters.Create([vocab, hidden], dtype);
        register_parameter("weight", _weight);
        if (!initialise) return;
        using var _ = no_grad();
        _weight.normal_(0, 1); // nn.Embedding's default
    }

    public Tensor Weight => _weight;

    /// <param name="ids">[B, T] int64 token ids</param>
    /// <returns>[B, T, hidden] float32</returns>
    public Tensor Forward(Tensor ids)
    {
        if (ids.dtype != ScalarType.Int64) throw new ArgumentException($"token ids must be int64, got {ids.dtype}");
        if (ids.numel() > 0)
        {
            var (min, max) = (ids.min().item<long>(), ids.max().item<long>());
            if (min < 0 || max >= _vocab) throw new ArgumentException($"token id {(min < 0 ? min : max)} is outside the vocabulary (0..{_vocab - 1})");
        }
        using var scope = NewDisposeScope();
        var rows = _weight.index_select(0, ids.reshape(-1)).to(float32);
        return scope.MoveToOuter(rows.reshape([.. ids.shape, _weight.shape[1]]));
    }
}
