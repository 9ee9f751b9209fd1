using MMInterp.Kernels.Models.Clip;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Clip;

public class ClipModelTests
{
    [Fact]
    public void ParameterNamesAreTheHuggingFaceStateDictKeys()
    {
        using var model = TinyClip.Model();
        var names = model.named_parameters().Select(p => p.name).ToHashSet();
        string[] layer = ["self_attn.q_proj.weight", "self_attn.q_proj.bias", "self_attn.k_proj.weight", "self_attn.k_proj.bias",
            "self_attn.v_proj.weight", "self_attn.v_proj.bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "layer_norm1.weight", "layer_norm1.bias", "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
            "layer_norm2.weight", "layer_norm2.bias"];
        var expected = new List<string>
        {
            "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
            "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight", "vision_model.pre_layrnorm.bias",
            "vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias",
            "text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
            "text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias",
            "visual_projection.weight", "text_projection.weight", "logit_scale",
        };
        expected.AddRange(layer.Select(l => $"vision_model.encoder.layers.0.{l}"));
        expected.AddRange(layer.Select(l => $"text_model.encoder.layers.0.{l}"));
        Assert.Equal(expected.OrderBy(x => x), names.OrderBy(x => x));
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(new long[] { 8, 3, 4, 4 }, shapes["vision_model.embeddings.patch_embedding.weight"]);
        Assert.Equal(new long[] { 5, 8 }, shapes["vision_model.embeddings.position_embedding.weight"]);
        Assert.Equal(new long[] { 6, 8 }, shapes["visual_projection.weight"]);
        Assert.Empty(shapes["logit_scale"]);
    }

    [Fact]
    public void ForwardMatchesAHandWrittenComputationFromTheRawTensors()
    {
        using var scope = NewDisposeScope();
        using var model = TinyClip.Model();
        var w = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach());
        var images = TinyClip.Images();
        var ids = TinyClip.Ids();
        using var _ = no_grad();

        var logits = model.LogitsPerImage(images, ids);
        var expected = ReferenceClip.Logits(w, images, ids, heads: 2, eos: 19);
        Assert.True(logits.allclose(expected, rtol: 1e-4, atol: 1e-5), $"max diff {(logits - expected).abs().max().item<float>()}");
        var imageEmbeds = model.EncodeImage(images);
        Assert.True(imageEmbeds.allclose(ReferenceClip.Image(w, images, 2), rtol: 1e-4, atol: 1e-5));
        var textEmbeds = model.EncodeText(ids);
        Assert.True(textEmbeds.allclose(ReferenceClip.Text(w, ids, 2, 19), rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void TextPoolingFollowsHuggingFaceEosRule()
    {
        using var model = TinyClip.Model();
        var ids = tensor(new long[] { 18, 19, 5, 19, 19, 19, 19 }, [1, 7]);
        Assert.Equal(1, model.TextModel.EosPositions(ids).item<long>());
        // eos_token_id == 2 (legacy configs): argmax of the ids, first maximum.
        manual_seed(1);
        using var legacy = new ClipModel(TinyClip.Config(eos: 2));
        Assert.Equal(1, legacy.TextModel.EosPositions(tensor(new long[] { 18, 19, 5, 19, 2, 2, 2 }, [1, 7])).item<long>());
    }

    [Fact]
    public void ContrastiveLossIsTheMeanOfBothDirections()
    {
        var logits = tensor(new float[] { 2, 0, 1, 3 }, [2, 2]);
        // rows: -log softmax([2,0])[0] = log(1+e^-2); -log softmax([1,3])[1] = log(1+e^-2)
        // cols: -log softmax([2,1])[0] = log(1+e^-1); -log softmax([0,3])[1] = log(1+e^-3)
        var expected = (2 * Math.Log(1 + Math.Exp(-2)) + Math.Log(1 + Math.Exp(-1)) + Math.Log(1 + Math.Exp(-3))) / 4;
        Assert.Equal(expected, ClipModel.ContrastiveLoss(logits).item<float>(), 5);
    }

    [Fact]
    public void BadConfigsAndInputsNameTheProblem()
    {
        var e = Assert.Throws<ArgumentException>(() => new ClipModel(TinyClip.Config() with { Vision = TinyClip.Config().Vision with { PatchSize = 3 } }));
        Assert.Contains("patch_size", e.Message);
        using var model = TinyClip.Model();
        var bad = Assert.Throws<ArgumentException>(() => model.EncodeImage(zeros(1, 3, 16, 16)));
        Assert.Contains("[B,3,8,8]", bad.Message);
    }
}
