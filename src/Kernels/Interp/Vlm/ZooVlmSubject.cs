using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Vlm;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>A ShapesWorld VLM (the zoo decoder, or the zoo LLaVA after its BOS) over ShapesWorld prompts: the image
/// tokens from <see cref="IShapesVlm.ImageStart"/>, then the question; every
/// prompt has the same length, so all batch together. The image tokens are computed once (one vision pass); dispose
/// this to free them.</summary>
public sealed class ZooVlmSubject : IVlmSubject, IDisposable
{
    readonly IShapesVlm _model;
    readonly VlmPrompts _prompts;
    readonly VlmVocabulary? _vocabulary;
    readonly Tensor _tokens; // [N, P, D]
    readonly long[] _answers, _lengths, _ids;
    readonly bool[] _objects;
    readonly int _maxQ;

    public ZooVlmSubject(IShapesVlm model, VlmPrompts prompts, VlmVocabulary? vocabulary = null)
    {
        (_model, _prompts, _vocabulary) = (model, prompts, vocabulary);
        using (no_grad()) _tokens = model.ImageTokens(prompts.Images);
        _answers = prompts.Answers.cpu().data<long>().ToArray();
        _lengths = prompts.Lengths.cpu().data<long>().ToArray();
        _ids = prompts.Ids.cpu().data<long>().ToArray();
        _maxQ = (int)prompts.Ids.shape[1];
        _objects = prompts.ObjectPatches.cpu().data<bool>().ToArray();
    }

    public HookRegistry Hooks => _model.Hooks;
    public int Layers => _model.LmLayers;
    public Device Device => _model.Device;
    public int Count => _prompts.Count;
    public int ImageTokens => _model.ImageTokenCount;
    public int ImageStart(int prompt) => _model.ImageStart;
    public int SequenceLength(int prompt) => _model.ImageStart + ImageTokens + _maxQ;
    public int AnswerPosition(int prompt) => _model.ImageStart + ImageTokens + (int)_lengths[prompt] - 1;
    public long Answer(int prompt) => _answers[prompt];
    public bool[]? ObjectPatches(int prompt) => _objects.AsSpan(prompt * ImageTokens, ImageTokens).ToArray();
    public Tensor CleanImageTokens(int prompt) => _tokens.narrow(0, prompt, 1);
    /// <summary>All prompts' clean image tokens. [N, P, D]</summary>
    public Tensor AllImageTokens => _tokens;

    public Tensor Logits(Tensor imageTokens, IReadOnlyList<int> prompts)
    {
        using var scope = NewDisposeScope();
        var index = tensor(prompts.Select(i => (long)i).ToArray(), device: _prompts.Ids.device);
        return scope.MoveToOuter(_model.LmLogits(imageTokens, _prompts.Ids.index_select(0, index)));
    }

    public Tensor Unembed(Tensor residual) => _model.Unembed(residual);
    public string TokenText(long id) => _vocabulary?.Token((int)id) ?? id.ToString();
    /// <summary>The question's word at <paramref name="position"/>; -1 before the question (BOS, image tokens).</summary>
    public long TokenAt(int prompt, int position) => position < _model.ImageStart + ImageTokens ? -1 : _ids[prompt * _maxQ + position - _model.ImageStart - ImageTokens];

    public void Dispose() => _tokens.Dispose();
}
