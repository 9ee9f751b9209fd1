using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Models.Vlm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>vision.hook_pooled is HF's pooler_output: the last block's class token after post_layernorm, as a one-token
/// stream [B, 1, D], and exactly what the visual projection reads.</summary>
public class PooledHookTests
{
    [Fact]
    public void PooledHookIsThePostLayerNormClassTokenAndTheProjectionReadsIt()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model(layers: 2);
        using var _ = no_grad();
        var images = TinyClip.Images();
        using var cache = new ActivationCache();
        Tensor embeds;
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(ClipVisionTransformer.PooledHook, Hook.Cache(cache));
            model.Hooks.Add("vision.blocks.1.hook_resid_post", Hook.Cache(cache));
            embeds = model.EncodeImage(images);
        }
        var pooled = cache[ClipVisionTransformer.PooledHook];
        Assert.Equal(new long[] { 3, 1, 8 }, pooled.shape);

        // pooler_output = post_layernorm(last_hidden_state[:, 0]), computed here from the parameters by HF's formula.
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        var cls = cache["vision.blocks.1.hook_resid_post"].select(1, 0);
        var expected = nn.functional.layer_norm(cls, [8], p["vision_model.post_layernorm.weight"], p["vision_model.post_layernorm.bias"], model.Config.Vision.Tower.LayerNormEps);
        Assert.True((pooled.squeeze(1) - expected).abs().max().item<float>() < 1e-6f);
        // get_image_features = visual_projection(pooler_output).
        Assert.True(Same.Values(embeds, pooled.squeeze(1).matmul(p["visual_projection.weight"].t())));

        // A hook there changes the image embedding: zeroing it zeroes the projection's input.
        using (model.Hooks.Scope())
        {
            model.Hooks.Add(ClipVisionTransformer.PooledHook, Hook.Zero());
            Assert.Equal(0f, model.EncodeImage(images).abs().max().item<float>());
        }
        // Unhooked, the tower is untouched by the point's existence.
        Assert.True(Same.Values(embeds, model.EncodeImage(images)));
    }

    [Fact]
    public void OnlyAClipTowerOffersThePooledHook()
    {
        using var clip = TinyClip.Model();
        Assert.Contains(ClipVisionTransformer.PooledHook, clip.Hooks.Names);
        // A VLM's adapter reads patch states, never the pooled output: its tower has no pooled hook to mislead with.
        using var vlm = new VlmModel(new VlmConfig { Vision = TinyClip.Config().Vision, Lm = new ClipTowerConfig { HiddenSize = 8, IntermediateSize = 16, NumLayers = 1, NumHeads = 2, HiddenAct = "gelu" } });
        Assert.DoesNotContain(ClipVisionTransformer.PooledHook, vlm.Hooks.Names);
    }
}
