using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Interp.Vlm;

/// <summary>
/// An HF LLaVA over a user's examples (<see cref="VlmUserData"/>): each question goes through the checkpoint's chat
/// template with one image; the image token is widened to the projected patch features (the image tokens the
/// analyses corrupt and restore); the scored token is the expected answer's first token as the tokeniser writes it
/// after the prompt. Prompts of equal length batch together. Holds the clean image tokens (P x hidden floats per
/// example: ~9 MB at LLaVA-1.5-7B); dispose to free them (the model stays the caller's).
/// </summary>
public sealed class LlavaVlmSubject : IVlmSubject, IDisposable
{
    readonly LlavaForConditionalGeneration _model;
    readonly TextTokenizer _tokenizer;
    readonly Tensor _tokens; // [N, P, D]
    readonly Images.ClipImageProcessor _processor;
    readonly long[][] _ids; // expanded
    readonly int[] _start;
    readonly long[] _answers;
    readonly bool[]?[] _objects;

    public LlavaVlmSubject(LoadedLlava llava, IReadOnlyList<VlmUserItem> items)
    {
        _model = llava.Model;
        var c = _model.Config;
        if (c.SelectStrategy != LlavaConfig.DefaultStrategy)
            throw new ArgumentException($"{llava.Directory}: vision_feature_select_strategy '{c.SelectStrategy}' puts the class token among the image tokens; the VLM analyses read a patch grid ('default')");
        _tokenizer = llava.Tokenizer ?? throw new ArgumentException($"{llava.Directory}: loaded without its tokeniser");
        var template = llava.Template!;
        if (items.Count == 0) throw new ArgumentException("no examples");
        Items = items;
        var n = items.Count;
        (_ids, _start, _answers, _objects) = (new long[n][], new int[n], new long[n], new bool[n][]);
        Images = new float[n][];
        var patch = c.Vision.PatchSize;
        for (var i = 0; i < n; i++)
        {
            var item = items[i];
            var messages = new[] { ChatMessage.User(item.Question, 1) };
            var ids = template.Encode(_tokenizer, messages).Select(x => (long)x).ToArray();
            _ids[i] = LlavaImageTokens.Expand(ids, c.ImageTokenId, 1, c.FeaturesPerImage);
            _start[i] = LlavaImageTokens.Positions(_ids[i], c.ImageTokenId)[0];
            _answers[i] = AnswerToken(template, messages, ids, item);
            _objects[i] = item.Box is { } box ? ObjectPatchGrid.FromBox(box, item.Image.Width, item.Image.Height, llava.ImageProcessor, patch)
                : item.Mask is { } mask ? ObjectPatchGrid.FromMask(mask, item.Image.Width, item.Image.Height, llava.ImageProcessor, patch) : null;
            if ((item.Box ?? (object?)item.Mask) is not null && _objects[i] is null)
                throw new ArgumentException($"line {item.Line}: the object lies outside the centre crop the model sees");
            Images[i] = Planar(llava.ImageProcessor.Transform(item.Image));
        }
        _processor = llava.ImageProcessor;
        // One image at a time: the tower's activations for a batch of large images would dwarf the tokens kept.
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        _tokens = scope.MoveToOuter(cat(Enumerable.Range(0, n).Select(i => ImageTokensFromPixels([i])).ToList(), 0));
    }

    /// <summary>The expected answer's first token: the prompt rendered, the answer appended (after a space when the
    /// prompt ends in text, as "ASSISTANT:" does), tokenised; the first id past the prompt's own.</summary>
    long AnswerToken(ChatTemplate template, ChatMessage[] messages, long[] promptIds, VlmUserItem item)
    {
        var rendered = template.Render(messages);
        var full = rendered + (rendered.Length > 0 && !char.IsWhiteSpace(rendered[^1]) ? " " : "") + item.Answer;
        var ids = _tokenizer.Encode(full, addSpecialTokens: !template.RendersBos);
        if (ids.Length <= promptIds.Length || !ids.Take(promptIds.Length).Select(x => (long)x).SequenceEqual(promptIds))
            throw new ArgumentException($"line {item.Line}: the answer '{item.Answer}' does not tokenise apart from the prompt (its first token merges with the prompt's last)");
        return ids[promptIds.Length];
    }

    static float[] Planar(Images.RgbImage image)
    {
        var plane = image.Width * image.Height;
        var rgb = new float[3 * plane];
        for (var i = 0; i < plane; i++) for (var ch = 0; ch < 3; ch++) rgb[ch * plane + i] = image.Pixels[3 * i + ch] / 255f;
        return rgb;
    }

    public IReadOnlyList<VlmUserItem> Items { get; }
    /// <summary>Each image as the tower reads it (resized, cropped), planar RGB in [0, 1], for the figures.</summary>
    public float[][] Images { get; }
    public int ImageSize => _model.Config.Vision.ImageSize;

    /// <summary>What the figures show: the first prompt's last <paramref name="textColumns"/> tokens up to the answer
    /// position (<see cref="VlmSubjects.TextColumns"/>), its question and answer, and its image as the tower reads it.</summary>
    public VlmFigureContext FigureContext(int textColumns)
    {
        var last = AnswerPosition(0);
        var words = Enumerable.Range(last - textColumns + 1, textColumns).Select(j => TokenText(_ids[0][j])).ToList();
        return new VlmFigureContext(words, Items[0].Question, Items[0].Answer, Count, Images[0], ImageSize);
    }

    public HookRegistry Hooks => _model.Hooks;
    public int Layers => _model.LanguageModel.Layers;
    public Device Device => _tokens.device;
    public int Count => Items.Count;
    public int ImageTokens => _model.Config.FeaturesPerImage;
    public int ImageStart(int prompt) => _start[prompt];
    public int SequenceLength(int prompt) => _ids[prompt].Length;
    public int AnswerPosition(int prompt) => _ids[prompt].Length - 1;
    public long Answer(int prompt) => _answers[prompt];
    public bool[]? ObjectPatches(int prompt) => _objects[prompt];
    public Tensor CleanImageTokens(int prompt) => _tokens.narrow(0, prompt, 1);

    /// <summary>The image tokens of <paramref name="prompts"/> computed again from their pixels, with whatever hooks
    /// are set on the vision tower (steering writes there). [B, P, D]</summary>
    public Tensor ImageTokensFromPixels(IReadOnlyList<int> prompts)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(_model.ImageFeatures(_processor.ToPixels(prompts.Select(i => Items[i].Image).ToList())));
    }

    public Tensor Logits(Tensor imageTokens, IReadOnlyList<int> prompts)
    {
        using var scope = NewDisposeScope();
        var (start, length) = (_start[prompts[0]], _ids[prompts[0]].Length);
        if (prompts.Any(i => _start[i] != start || _ids[i].Length != length))
            throw new ArgumentException("prompts of different layouts in one batch");
        var p = ImageTokens;
        var imageId = _model.Config.ImageTokenId;
        var ids = prompts.SelectMany(i => _ids[i].Select(x => x == imageId ? 0 : x)).ToArray();
        var text = _model.LanguageModel.Embed(tensor(ids, [prompts.Count, length], device: imageTokens.device));
        var embeds = cat([text.narrow(1, 0, start), imageTokens.to_type(text.dtype), text.narrow(1, start + p, length - start - p)], 1);
        return scope.MoveToOuter(_model.LanguageModel.ForwardEmbeddings(embeds));
    }

    public Tensor Unembed(Tensor residual) => _model.LanguageModel.Unembed(residual);
    public string TokenText(long id) => id == _model.Config.ImageTokenId ? "<image>" : id < _tokenizer.VocabSize ? _tokenizer.TokenText((int)id) : $"#{id}";
    public long TokenAt(int prompt, int position) => _ids[prompt][position];

    public void Dispose() => _tokens.Dispose();
}
