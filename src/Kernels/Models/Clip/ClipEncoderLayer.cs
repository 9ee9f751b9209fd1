using MMInterp.Kernels.Hooks;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>HF CLIPEncoderLayer: pre-LayerNorm attention and MLP, each added to the residual stream.</summary>
public sealed class ClipEncoderLayer : nn.Module
{
    readonly ClipAttention _attn;
    readonly LayerNorm _ln1, _ln2;
    readonly ClipMlp _mlp;
    readonly HookPoint _residPre, _residMid, _residPost;

    public ClipEncoderLayer(ClipTowerConfig c, HookRegistry hooks, string prefix) : base("layer")
    {
        register_module("self_attn", _attn = new ClipAttention(c, hooks, $"{prefix}.attn"));
        register_module("layer_norm1", _ln1 = nn.LayerNorm(c.HiddenSize, c.LayerNormEps));
        register_module("mlp", _mlp = new ClipMlp(c, hooks, $"{prefix}.mlp"));
        register_module("layer_norm2", _ln2 = nn.LayerNorm(c.HiddenSize, c.LayerNormEps));
        _residPre = hooks.Register($"{prefix}.hook_resid_pre");
        _residMid = hooks.Register($"{prefix}.hook_resid_mid");
        _residPost = hooks.Register($"{prefix}.hook_resid_post");
    }

    /// <summary>True when a hook is attached to the block's input (resid_pre) or output (resid_post): the same tensor
    /// is the previous block's output or the next block's input.</summary>
    internal bool InputHooked => ForwardScope.AnyHooked(_residPre);
    internal bool OutputHooked => ForwardScope.AnyHooked(_residPost);

    public Tensor Forward(Tensor x, Tensor? mask)
    {
        // Each half frees its temporaries when it returns; with no hook inside the block, so does the mid stream.
        var inner = ForwardScope.AnyHooked(_residPre, _residMid) || _attn.Hooked || _mlp.Hooked;
        var post = ForwardScope.Run(inner, () =>
        {
            var pre = _residPre.Apply(x);
            var mid = _residMid.Apply(ForwardScope.Run(_attn.Hooked, () => ForwardScope.Residual(pre, _attn.Forward(_ln1.forward(pre), mask))));
            return ForwardScope.Run(_mlp.Hooked, () => ForwardScope.Residual(mid, _mlp.Forward(_ln2.forward(mid))));
        });
        return _residPost.Apply(post);
    }
}

/// <summary>HF CLIPMLP: fc1, activation, fc2.</summary>
public sealed class ClipMlp : nn.Module
{
    readonly Linear _fc1, _fc2;
    readonly string _act;
    readonly HookPoint _post;

    public ClipMlp(ClipTowerConfig c, HookRegistry hooks, string prefix) : base("mlp")
    {
        _act = c.HiddenAct;
        register_module("fc1", _fc1 = nn.Linear(c.HiddenSize, c.IntermediateSize));
        register_module("fc2", _fc2 = nn.Linear(c.IntermediateSize, c.HiddenSize));
        _post = hooks.Register($"{prefix}.hook_post");
    }

    internal bool Hooked => ForwardScope.AnyHooked(_post);

    public Tensor Forward(Tensor x) => _fc2.forward(_post.Apply(Activations.Apply(_act, _fc1.forward(x))));
}

/// <summary>HF CLIPEncoder: a ModuleList named "layers".</summary>
public sealed class ClipEncoder : nn.Module
{
    readonly ModuleList<ClipEncoderLayer> _layers;

    public ClipEncoder(ClipTowerConfig c, HookRegistry hooks, string tower) : base("encoder")
    {
        _layers = nn.ModuleList(Enumerable.Range(0, c.NumLayers).Select(i => new ClipEncoderLayer(c, hooks, $"{tower}.blocks.{i}")).ToArray());
        register_module("layers", _layers);
    }

    public int Count => _layers.Count;

    /// <summary>The input and the outputs of blocks 0..<paramref name="count"/>-1, every one kept (HF's hidden_states).</summary>
    public IReadOnlyList<Tensor> States(Tensor x, int count)
    {
        var states = new List<Tensor> { x };
        for (var i = 0; i < Math.Min(count, _layers.Count); i++) states.Add(x = _layers[i].Forward(x, null));
        return states;
    }

    /// <param name="lastLayer">run blocks firstLayer..lastLayer only (null: to the end)</param>
    /// <param name="firstLayer">the block <paramref name="x"/> enters (a run resumed from a kept hidden state)</param>
    public Tensor Forward(Tensor x, Tensor? mask, int? lastLayer = null, int firstLayer = 0)
    {
        var end = lastLayer is int l ? Math.Min(l + 1, _layers.Count) : _layers.Count;
        for (var i = firstLayer; i < end; i++)
        {
            var y = _layers[i].Forward(x, mask);
            // A block output no hook has seen is dead once the next block has read it (the caller's input is left alone).
            if (i > firstLayer && !_layers[i - 1].OutputHooked && !_layers[i].InputHooked) x.Dispose();
            x = y;
        }
        return x;
    }
}
