using MMInterp.Kernels.Hooks;
using MMInterp.Kernels.Models.Clip;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llava;

/// <summary>
/// HF CLIPVisionModel as LLaVA holds it (parameters vision_model.*, hooks vision.blocks.{i}.*): the image features are
/// the hidden state(s) at the config's vision_feature_layer, class token dropped under the "default" strategy.
/// Blocks after the deepest layer read do not run (HF runs them and discards them; the features are the same).
/// </summary>
public sealed class LlavaVisionTower : nn.Module
{
    readonly ClipVisionTransformer _vision;
    readonly LlavaConfig _config;

    public LlavaVisionTower(LlavaConfig config, HookRegistry hooks) : base("vision_tower")
    {
        _config = config;
        register_module("vision_model", _vision = new ClipVisionTransformer(config.Vision, hooks));
    }

    public ClipVisionTransformer VisionModel => _vision;

    /// <summary>The selected features [B, N, Dv * layers] (float32) for pixels [B, C, H, W].</summary>
    public Tensor Features(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var indices = _config.VisionFeatureLayers.Select(_config.HiddenStateIndex).ToList();
        var states = HiddenStates(pixels.to_type(ScalarType.Float32), indices);
        var selected = states.Select(s => _config.SelectStrategy == LlavaConfig.DefaultStrategy ? s.narrow(1, 1, s.shape[1] - 1) : s).ToList();
        return scope.MoveToOuter(selected.Count == 1 ? selected[0] : cat(selected, -1));
    }

    /// <summary>HF's hidden_states[i] for each index: 0 is the pre-normed embeddings (the encoder's input), i >= 1 block
    /// i-1's output.</summary>
    List<Tensor> HiddenStates(Tensor pixels, List<int> indices)
    {
        if (indices.Count == 1) return [indices[0] == 0 ? _vision.Embeddings(pixels) : _vision.ForwardTo(pixels, indices[0] - 1)];
        // Several layers: one pass keeping every block output up to the deepest one read.
        var all = _vision.HiddenStates(pixels, indices.Max());
        return indices.Select(i => all[i]).ToList();
    }
}
