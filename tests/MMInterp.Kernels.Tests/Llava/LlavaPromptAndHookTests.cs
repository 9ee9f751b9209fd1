using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Llava;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>Hook names and values of a LLaVA, and the road from an image and a question to a continuation with the
/// directory's tokeniser and chat template.</summary>
public class LlavaPromptAndHookTests
{
    [Fact]
    public void HooksNameTheVisionTowerProjectorAndDecoderAndSeeTheirValues()
    {
        using var scope = NewDisposeScope();
        var g = LlavaGolden.Outputs("older_bf16");
        using var model = LlavaCheckpoint.Load(LlavaGolden.Dir("older_bf16"), new LlavaLoadOptions { LoadTokenizer = false }).Model;
        foreach (var name in new[] { "vision.blocks.0.hook_resid_post", "vision.blocks.2.attn.hook_pattern", LlavaProjector.OutHook,
                                     "lm.hook_embed", "lm.blocks.1.hook_resid_mid", "lm.blocks.0.attn.hook_z", "lm.blocks.1.mlp.hook_post" })
            Assert.True(model.Hooks.Contains(name), name);
        using var cache = new ActivationCache();
        using var _ = no_grad();
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(n => n is LlavaProjector.OutHook or "lm.hook_embed" or "vision.blocks.1.hook_resid_post", Hook.Cache(cache));
            model.Logits(LlavaGolden.Ids(g["input_ids"]), g["pixel_values"]);
        }
        LlavaGolden.AssertClose(g["image_features"], cache[LlavaProjector.OutHook], 1e-4, "adapter.hook_out");
        // vision_feature_layer -2 of 3 blocks is block 1's output: the projector read it without the class token.
        Assert.Equal(new long[] { 1, 17, 32 }, cache["vision.blocks.1.hook_resid_post"].shape);
        // The merged sequence: the image token (position 3) widened to 16 features, which sit at 3..18.
        var merged = cache["lm.hook_embed"];
        Assert.Equal(new long[] { 1, 23, 64 }, merged.shape);
        Assert.Equal(0f, (merged[0].narrow(0, 3, 16) - cache[LlavaProjector.OutHook][0]).abs().max().item<float>());
    }

    [Fact]
    public void AQuestionAboutAnImageIsPromptedWithTheChatTemplateAndContinuedGreedily()
    {
        using var scope = NewDisposeScope();
        var dir = Directory.CreateTempSubdirectory("mminterp-llava-").FullName;
        try
        {
            // A random LLaVA whose vocabulary fits the llama tokeniser fixture (its <image> is id 700).
            var golden = LlavaCheckpoint.ReadConfig(LlavaGolden.Dir("older_bf16"));
            var config = golden with { ImageTokenId = 700, Text = golden.Text with { VocabSize = 702 } };
            using (var fresh = new LlavaForConditionalGeneration(config)) LlavaCheckpoint.Save(fresh, dir);
            foreach (var f in Directory.GetFiles(LlavaGolden.TokenizerDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var loaded = LlavaCheckpoint.Load(dir);
            using var model = loaded.Model;
            Assert.NotNull(loaded.Tokenizer);
            var prompt = loaded.Template!.Prompt("What colour is the square?");
            Assert.Equal("USER: <image>\nWhat colour is the square? ASSISTANT:", prompt);
            var ids = loaded.Tokenizer!.Encode(prompt).Select(i => (long)i).ToArray();
            Assert.Equal(1, ids[0]); // BOS
            Assert.Single(ids, 700L);
            var image = new Kernels.Images.RgbImage(40, 48, Enumerable.Range(0, 40 * 48 * 3).Select(i => (byte)(i * 7 % 251)).ToArray());
            var pixels = loaded.ImageProcessor.ToPixels([image]);
            Assert.Equal(new long[] { 1, 3, 32, 32 }, pixels.shape);
            var cached = model.Generate(ids, pixels, 6, stopIds: [], useCache: true);
            Assert.Equal(6, cached.Length);
            Assert.Equal(cached, model.Generate(ids, pixels, 6, stopIds: [], useCache: false));
            Assert.NotNull(loaded.Tokenizer.Decode(cached.Select(i => (int)i)));
            // The same road in one call: template, tokeniser, preprocessor, greedy up to EOS.
            var answer = LlavaChat.Ask(loaded, image, "What colour is the square?", maxNewTokens: 6);
            Assert.Equal(prompt, answer.Prompt);
            Assert.Equal(ids, answer.PromptIds);
            Assert.Equal(ids.Length - 1 + 16, answer.MergedLength);
            var eos = cached.ToList().IndexOf(2);
            Assert.Equal(eos < 0 ? cached : cached[..(eos + 1)], answer.Ids);
            Assert.Equal(loaded.Tokenizer.Decode(answer.Ids.Select(i => (int)i), skipSpecialTokens: true), answer.Text);
        }
        finally { Directory.Delete(dir, true); }
    }
}
