using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tests.Clip;
using MMInterp.Kernels.Text;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.StableDiffusion;

/// <summary>A pipeline's text_encoder/ folder (HF CLIPTextModel / CLIPTextModelWithProjection) read into
/// <see cref="ClipTextModel"/> gives what CLIPModel's text side gives on the same weights: last_hidden_state,
/// pooled (EOS) and projected pooled; the kept hidden_states[-k] equals the block output a hook sees.</summary>
public sealed class SdTextEncoderTests
{
    static (ClipModel Clip, string Dir) TextFolderFromClip(bool projection, bool fp16 = false)
    {
        var clip = TinyClip.Model(layers: 2);
        var config = new ClipTextModelConfig(clip.Config.Text, projection ? clip.Config.ProjectionDim : null);
        using var text = new ClipTextModel(config);
        var source = clip.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
            foreach (var (name, p) in text.named_parameters()) p.copy_(source[name]);
        var dir = Directory.CreateTempSubdirectory("mminterp-sd-te-").FullName;
        ClipTextCheckpoint.Save(text, dir, fp16);
        return (clip, dir);
    }

    [Fact]
    public void TheTextTowerMatchesClipModelsTextSideOnTheSameWeights()
    {
        var (clip, dir) = TextFolderFromClip(projection: true);
        using var _ = clip;
        using var loaded = ClipTextCheckpoint.Load(dir, ClipTextConfigJson.WithProjection);
        var ids = TinyClip.Ids();
        using var cache = new ActivationCache();
        clip.Hooks.Add("text.blocks.0.hook_resid_post", Hook.Cache(cache));
        clip.Hooks.Add("text.blocks.0.hook_resid_pre", Hook.Cache(cache));
        var (hidden, pooled) = clip.TextModel.Forward(ids);
        var projected = clip.EncodeText(ids);
        clip.Hooks.Clear();

        var o = loaded.Encode(ids, fromEnd: 2);
        Assert.True(Same.Values(hidden, o.LastHidden));
        Assert.True(Same.Values(pooled, o.Pooled));
        Assert.True(o.Projected!.allclose(projected, rtol: 0, atol: 1e-6));
        // 2 layers: hidden_states = [embeddings, block 0, block 1]; [-2] is block 0's output, [-3] the embeddings.
        Assert.True(o.State.allclose(cache["text.blocks.0.hook_resid_post"], rtol: 0, atol: 1e-6));
        Assert.True(loaded.Encode(ids, fromEnd: 3).State.allclose(cache["text.blocks.0.hook_resid_pre"], rtol: 0, atol: 1e-6));
        // Pooled is taken at the first EOS (eos_token_id 19, not the legacy 2): row 1's is position 2.
        Assert.True(Same.Values(o.Pooled[1], o.LastHidden[1, 2]));
        var e = Assert.Throws<ArgumentException>(() => loaded.Encode(ids, fromEnd: 4));
        Assert.Contains("hidden_states[-4]", e.Message);
    }

    [Fact]
    public void TheFp16VariantLoadsAndAProjectionTheClassDoesNotHaveIsRefused()
    {
        var (clip, dir) = TextFolderFromClip(projection: true, fp16: true);
        using var _ = clip;
        Assert.True(File.Exists(Path.Combine(dir, "model.fp16.safetensors")));
        using var loaded = ClipTextCheckpoint.Load(dir, ClipTextConfigJson.WithProjection);
        var ids = TinyClip.Ids();
        Assert.True(loaded.Encode(ids).LastHidden.allclose(clip.TextModel.Forward(ids).Hidden, rtol: 0, atol: 2e-2));

        // The folder's config says WithProjection; model_index naming CLIPTextModel is a contradiction, named in one line.
        var e = Assert.Throws<InvalidDataException>(() => ClipTextCheckpoint.Inspect(dir, ClipTextConfigJson.TextModel));
        Assert.Contains("do not include CLIPTextModel", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(dir, "config.json")).Replace("CLIPTextModelWithProjection", "CLIPTextModel"));
        e = Assert.Throws<InvalidDataException>(() => ClipTextCheckpoint.Inspect(dir, ClipTextConfigJson.TextModel));
        Assert.Contains("unexpected key(s) not in the model: text_projection.weight", e.Message);
    }

    [Fact]
    public void PromptsArePaddedWithTheConfiguredPadTokenAndCutKeepingTheEndMarker()
    {
        var bpe = ClipBpeTokenizer.BuildForWords(["a", "red", "cat", "!"]);
        var dir = Directory.CreateTempSubdirectory("mminterp-sd-tok-").FullName;
        new ClipPromptTokenizer(bpe, 6, bpe.EndId).Save(dir);
        var sd1 = ClipPromptTokenizer.Load(dir);
        Assert.Equal(6, sd1.MaxLength);
        var (s, e, red, cat, a) = (bpe.StartId, bpe.EndId, bpe.Vocab["red</w>"], bpe.Vocab["cat</w>"], bpe.Vocab["a</w>"]);
        Assert.Equal(new long[] { s, red, cat, e, e, e }, sd1.Encode(["red cat"]).data<long>().ToArray());
        // Too long: cut to 6 with the end marker last, as CLIPTokenizer's truncation does.
        Assert.Equal(new long[] { s, a, red, cat, a, e }, sd1.Encode(["a red cat a red cat"]).data<long>().ToArray());

        // SD2 / SDXL's tokenizer_2 pad with "!" (HF's pad_token in tokenizer_config.json).
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"model_max_length": 5, "pad_token": "!"}""");
        var sd2 = ClipPromptTokenizer.Load(dir);
        var bang = bpe.Vocab["!"];
        Assert.Equal(new long[] { s, red, e, bang, bang }, sd2.Encode(["red"]).data<long>().ToArray());

        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"pad_token": "<pad>"}""");
        var err = Assert.Throws<InvalidDataException>(() => ClipPromptTokenizer.Load(dir));
        Assert.Contains("pad_token '<pad>' is not in vocab.json", err.Message);
    }
}
