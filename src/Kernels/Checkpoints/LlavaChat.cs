using MMInterp.Kernels.Images;
using MMInterp.Kernels.Models.Llava;
using MMInterp.Kernels.Text;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// An image and a question to a greedy answer, the way a researcher tries a checkpoint: the question through the
/// directory's chat template (LLaVA-1.5: "USER: &lt;image&gt;\n{question} ASSISTANT:"), the tokeniser, the image
/// through preprocessor_config.json, then greedy decoding with the KV cache (or without: the same tokens) up to EOS.
/// </summary>
public static class LlavaChat
{
    public static LlavaAnswer Ask(LoadedLlava llava, RgbImage image, string question, int maxNewTokens = 64, bool useCache = true)
    {
        var tokenizer = llava.Tokenizer ?? throw new InvalidOperationException($"{llava.Directory}: loaded without its tokeniser");
        var template = llava.Template!;
        if (string.IsNullOrWhiteSpace(question)) throw new ArgumentException("the question is empty");
        var prompt = template.Prompt(question);
        var ids = template.Encode(tokenizer, [ChatMessage.User(question, 1)]).Select(i => (long)i).ToArray();
        using var scope = NewDisposeScope();
        var pixels = llava.ImageProcessor.ToPixels([image]);
        var stops = llava.Model.Config.Text.EosTokenIds.Concat(tokenizer.EosId is int e ? [e] : []).Distinct().ToList();
        var merged = LlavaImageTokens.Expand(ids, llava.Model.Config.ImageTokenId, 1, llava.Model.Config.FeaturesPerImage).Length;
        var output = llava.Model.Generate(ids, pixels, maxNewTokens, stops, useCache);
        var text = tokenizer.Decode(output.Select(i => (int)i), skipSpecialTokens: true);
        return new LlavaAnswer(prompt, ids, merged, output, text, template.Note);
    }
}
