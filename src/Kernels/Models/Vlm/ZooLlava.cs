using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Models.Llm;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Vlm;

/// <summary>
/// The zoo VLM as an instance of HF's LLaVA (vlm-zoo/6-7): the zoo CLIP's vision tower, LLaVA's 2-layer GELU projector
/// and a small Llama decoder, one <see cref="LlavaForConditionalGeneration"/>. The word vocabulary is the zoo's plus
/// a BOS and an image token; a question reads [BOS, P image tokens, question words] and the answer is the next token
/// after the last word, as for the zoo decoder. The decoder runs exactly as for a downloaded checkpoint (token
/// embeddings with the image features in the image token's positions, then <see cref="LlamaForCausalLm.ForwardEmbeddings"/>).
/// Disposing it disposes the model.
/// </summary>
public sealed class ZooLlava(LlavaForConditionalGeneration model, VlmVocabulary vocabulary) : IShapesVlm
{
    public const string Bos = "<s>", Image = "<image>";

    public LlavaForConditionalGeneration Model { get; } = Check(model, vocabulary);
    public VlmVocabulary Vocabulary { get; } = vocabulary;

    /// <summary>The zoo's word vocabulary (<see cref="VlmQuestions.Vocabulary"/>) with BOS and the image token at its end.</summary>
    public static VlmVocabulary WordVocabulary(bool questionMark) =>
        new(VlmQuestions.Vocabulary(questionMark).Tokens.Skip(1).Concat([Bos, Image]));

    /// <summary>The LLaVA config: the tower read at <paramref name="featureLayer"/> (HF's hidden_states index) with the
    /// class token dropped ("default"), the projector into a Llama of the given sizes whose positions hold exactly
    /// BOS + image tokens + <paramref name="maxQuestionTokens"/> (max_position_embeddings carries the question limit).</summary>
    public static LlavaConfig Config(ClipVisionConfig vision, int featureLayer, VlmVocabulary vocabulary, int width, int layers, int heads, int maxQuestionTokens)
    {
        var patches = vision.PatchesPerSide * vision.PatchesPerSide;
        return new LlavaConfig
        {
            Vision = vision,
            Text = new LlamaConfig
            {
                VocabSize = vocabulary.Count, HiddenSize = width, IntermediateSize = 4 * width, NumLayers = layers, NumHeads = heads, NumKvHeads = heads,
                MaxPositions = 1 + patches + maxQuestionTokens, BosTokenId = vocabulary.Id(Bos), RmsNormEps = 1e-5,
            },
            ImageTokenId = vocabulary.Id(Image),
            VisionFeatureLayers = [featureLayer],
            SelectStrategy = LlavaConfig.DefaultStrategy,
            ProjectorHiddenAct = "gelu",
            ImageSeqLength = patches,
        }.Validate();
    }

    static LlavaForConditionalGeneration Check(LlavaForConditionalGeneration model, VlmVocabulary vocabulary)
    {
        var c = model.Config;
        if (vocabulary.Count != c.Text.VocabSize)
            throw new ArgumentException($"the word vocabulary has {vocabulary.Count} tokens but text_config.vocab_size is {c.Text.VocabSize}");
        if (!vocabulary.Contains(Image) || vocabulary.Id(Image) != c.ImageTokenId || !vocabulary.Contains(Bos))
            throw new ArgumentException($"the word vocabulary must hold {Bos} and {Image} (id {c.ImageTokenId}, the config's image token)");
        if (c.SelectStrategy != LlavaConfig.DefaultStrategy)
            throw new ArgumentException("a zoo LLaVA reads the patch grid: vision_feature_select_strategy must be 'default'");
        if (c.Text.MaxPositions <= 1 + c.FeaturesPerImage)
            throw new ArgumentException($"max_position_embeddings {c.Text.MaxPositions} leaves no room for a question after BOS and {c.FeaturesPerImage} image tokens");
        return model;
    }

    public HookRegistry Hooks => Model.Hooks;
    public Device Device => Model.parameters().First().device;
    public int LmLayers => Model.LanguageModel.Layers;
    public ClipVisionTransformer VisionModel => Model.VisionTower.VisionModel;
    public int ImageSize => Model.Config.Vision.ImageSize;
    public int PatchSize => Model.Config.Vision.PatchSize;
    public int ImageTokenCount => Model.Config.FeaturesPerImage;
    public int MaxQuestionTokens => Model.Config.Text.MaxPositions - 1 - ImageTokenCount;
    public int ImageStart => 1;
    public bool Training => Model.training;
    public void SetTraining(bool on) => Model.train(on);

    /// <summary>The projector's output (hook adapter.hook_out). [B, P, D]</summary>
    public Tensor ImageTokens(Tensor pixels) => Model.ImageFeatures(pixels);

    /// <summary>The vision features the projector reads (class token dropped). [B, P, Dv]</summary>
    public Tensor PatchStates(Tensor pixels) => Model.VisionTower.Features(pixels);

    /// <summary>The prompt's ids as a checkpoint user would write them: BOS, one image token, the question's words.</summary>
    public long[] PromptIds(string question) =>
        new long[] { Vocabulary.Id(Bos), Vocabulary.Id(Image) }.Concat(Vocabulary.Encode(question).Select(i => (long)i)).ToArray();

    public Tensor LmLogits(Tensor imageTokens, Tensor questionIds)
    {
        var p = ImageTokenCount;
        if (imageTokens.dim() != 3 || imageTokens.shape[1] != p)
            throw new ArgumentException($"image tokens must be [B,{p},D], got [{string.Join(",", imageTokens.shape)}]");
        if (questionIds.dim() != 2 || questionIds.shape[0] != imageTokens.shape[0] || questionIds.shape[1] > MaxQuestionTokens)
            throw new ArgumentException($"question ids must be [B={imageTokens.shape[0]}, at most {MaxQuestionTokens}], got [{string.Join(",", questionIds.shape)}]");
        using var scope = NewDisposeScope();
        var lm = Model.LanguageModel;
        var bos = full(questionIds.shape[0], 1, (long)Vocabulary.Id(Bos), device: questionIds.device);
        var text = lm.Embed(cat([bos, questionIds], 1));
        var embeds = cat([text.narrow(1, 0, 1), imageTokens.to_type(text.dtype), text.narrow(1, 1, questionIds.shape[1])], 1);
        return scope.MoveToOuter(lm.ForwardEmbeddings(embeds));
    }

    public Tensor AnswerPositions(Tensor lengths)
    {
        using var offset = ((long)ImageTokenCount).ToScalar();
        return lengths.add(offset);
    }

    public Tensor Unembed(Tensor residual) => Model.LanguageModel.Unembed(residual);

    /// <summary>Copies a zoo CLIP's vision tower into the LLaVA's (same vision config).</summary>
    public void LoadVisionFrom(ClipModel clip)
    {
        if (clip.Config.Vision != Model.Config.Vision)
            throw new ArgumentException($"the CLIP's vision config {clip.Config.Vision} does not match the LLaVA's {Model.Config.Vision}");
        var source = clip.VisionModel.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, p) in VisionModel.named_parameters()) p.copy_(source[name]);
    }

    public void Dispose() => Model.Dispose();
}
