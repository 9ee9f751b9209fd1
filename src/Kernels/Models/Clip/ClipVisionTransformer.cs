using MMInterp.Kernels.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>HF CLIPVisionEmbeddings: conv patch embedding (no bias), class token, learned positions.</summary>
public sealed class ClipVisionEmbeddings : nn.Module
{
    readonly Parameter _classEmbedding;
    readonly Conv2d _patch;
    readonly Embedding _position;

    public ClipVisionEmbeddings(ClipVisionConfig c) : base("embeddings")
    {
        var d = c.Tower.HiddenSize;
        register_parameter("class_embedding", _classEmbedding = new Parameter(randn(d) * Math.Pow(d, -0.5)));
        register_module("patch_embedding", _patch = nn.Conv2d(c.NumChannels, d, c.PatchSize, stride: c.PatchSize, bias: false));
        register_module("position_embedding", _position = nn.Embedding(c.NumPositions, d));
        using (no_grad()) _position.weight!.normal_(0, 0.02);
    }

    /// <param name="pixels">[B, C, H, W]</param>
    /// <returns>[B, 1 + patches, D]</returns>
    public Tensor Forward(Tensor pixels)
    {
        var b = pixels.shape[0];
        var patches = _patch.forward(pixels.to_type(_patch.weight!.dtype)).flatten(2).transpose(1, 2);
        var cls = _classEmbedding.view(1, 1, -1).expand(b, 1, -1);
        var x = cat([cls, patches], 1);
        return x + _position.weight!.narrow(0, 0, x.shape[1]).unsqueeze(0);
    }
}

/// <summary>HF CLIPVisionTransformer: embeddings, pre_layrnorm (HF's spelling), encoder, post_layernorm on the class token.</summary>
public sealed class ClipVisionTransformer : nn.Module
{
    /// <summary>The pooled output's hook point (HF pooler_output: post_layernorm of the last block's class token).</summary>
    public const string PooledHook = "vision.hook_pooled";

    readonly ClipVisionEmbeddings _embeddings;
    readonly LayerNorm _pre, _post;
    readonly ClipEncoder _encoder;
    readonly ClipVisionConfig _config;
    readonly HookPoint? _pooled;

    /// <param name="pooledHook">register <see cref="PooledHook"/>: a CLIP's tower, whose pooled output is what its
    /// visual projection reads; a VLM's adapter reads the patch states instead, so its tower offers no pooled hook.</param>
    public ClipVisionTransformer(ClipVisionConfig c, HookRegistry hooks, bool pooledHook = false) : base("vision_model")
    {
        _config = c;
        register_module("embeddings", _embeddings = new ClipVisionEmbeddings(c));
        register_module("pre_layrnorm", _pre = nn.LayerNorm(c.Tower.HiddenSize, c.Tower.LayerNormEps));
        register_module("encoder", _encoder = new ClipEncoder(c.Tower, hooks, "vision"));
        register_module("post_layernorm", _post = nn.LayerNorm(c.Tower.HiddenSize, c.Tower.LayerNormEps));
        if (pooledHook) _pooled = hooks.Register(PooledHook);
    }

    /// <returns>last hidden state [B, T, D] and the pooled, post-normed class token [B, D]</returns>
    public (Tensor Hidden, Tensor Pooled) Forward(Tensor pixels)
    {
        var hidden = Encode(pixels, null);
        var pooled = _post.forward(hidden.select(1, 0));
        // The hook sees the pooled output as a one-token stream [B, 1, D], so every analysis that reads hooks as
        // [B, T, D] (extraction rows, SAE latents, splices, free labels) works on it unchanged; its one token is the
        // class token.
        if (_pooled is not null && ForwardScope.AnyHooked(_pooled)) pooled = _pooled.Apply(pooled.unsqueeze(1)).squeeze(1);
        return (hidden, pooled);
    }

    /// <summary>The residual stream after block <paramref name="lastBlock"/> [B, T, D]; later blocks do not run (their
    /// hooks do not fire). Extraction uses it to stop at the deepest block it reads.</summary>
    public Tensor ForwardTo(Tensor pixels, int lastBlock)
    {
        if (lastBlock < 0 || lastBlock >= _encoder.Count) throw new ArgumentOutOfRangeException(nameof(lastBlock), $"block {lastBlock} is not in 0..{_encoder.Count - 1}");
        return Encode(pixels, lastBlock);
    }

    /// <summary>HF's hidden_states[0]: the pre-normed embeddings the encoder reads [B, T, D].</summary>
    public Tensor Embeddings(Tensor pixels)
    {
        CheckPixels(pixels);
        return _pre.forward(_embeddings.Forward(pixels));
    }

    /// <summary>HF's hidden_states[0..<paramref name="lastIndex"/>] (index i >= 1: block i-1's output), all kept: a
    /// LLaVA reading several layers concatenates them.</summary>
    public IReadOnlyList<Tensor> HiddenStates(Tensor pixels, int lastIndex)
    {
        if (lastIndex < 0 || lastIndex > _encoder.Count) throw new ArgumentOutOfRangeException(nameof(lastIndex), $"hidden state {lastIndex} is not in 0..{_encoder.Count}");
        return _encoder.States(Embeddings(pixels), lastIndex);
    }

    void CheckPixels(Tensor pixels)
    {
        var expected = new long[] { _config.NumChannels, _config.ImageSize, _config.ImageSize };
        if (pixels.dim() != 4 || !pixels.shape.Skip(1).SequenceEqual(expected))
            throw new ArgumentException($"images must be [B,{string.Join(",", expected)}], got [{string.Join(",", pixels.shape)}]");
    }

    Tensor Encode(Tensor pixels, int? lastBlock)
    {
        var expected = new long[] { _config.NumChannels, _config.ImageSize, _config.ImageSize };
        if (pixels.dim() != 4 || !pixels.shape.Skip(1).SequenceEqual(expected))
            throw new ArgumentException($"images must be [B,{string.Join(",", expected)}], got [{string.Join(",", pixels.shape)}]");
        // The patch embedding's temporaries die here (no hook point in this step).
        return _encoder.Forward(ForwardScope.Run(false, () => _pre.forward(_embeddings.Forward(pixels))), null, lastBlock);
    }

    /// <summary>Number of encoder blocks.</summary>
    public int Blocks => _encoder.Count;
}
