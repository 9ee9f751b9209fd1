using System.Text.RegularExpressions;
using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.ZooUNet;

/// <summary>A UNet2DConditionModel's sites as the diffusion analyses read them (<see cref="IZooDenoiser"/>), for the zoo
/// U-Net and a diffusers pipeline's alike: each level's output, its transformer blocks and their attention layers, and
/// its activations as tokens.</summary>
public static class UNetSites
{
    /// <summary>Each down level's output, the mid block's, each up level's, input side first.</summary>
    public static IReadOnlyList<string> BlockHooks(UNet2DConditionModel unet) =>
    [
        .. Enumerable.Range(0, unet.Config.Levels).Select(i => $"unet.down.{i}.hook_out"), "unet.mid.hook_out",
        .. Enumerable.Range(0, unet.Config.Levels).Select(i => $"unet.up.{i}.hook_out"),
    ];

    /// <summary>Every Transformer2DModel (down, mid, up; diffusers' attentions.{j}), in forward order; skipping one gives
    /// its output the output of the resnet before it.</summary>
    public static IReadOnlyList<SkippableBlock> Blocks(UNet2DConditionModel unet) => unet.Hooks.Names.Where(n => TransformerOutput.IsMatch(n)).Select(n =>
    {
        var m = TransformerOutput.Match(n);
        return new SkippableBlock($"{m.Groups[1].Value}.attn.{m.Groups[2].Value}", $"unet.{m.Groups[1].Value}.resnet.{m.Groups[2].Value}.hook_out", n);
    }).ToList();

    /// <summary>Each transformer block's self- and cross-attention layers.</summary>
    public static IReadOnlyList<AttentionSite> AttentionSites(UNet2DConditionModel unet) => Blocks(unet).SelectMany((block, i) =>
    {
        var prefix = block.OutputHook[..^".hook_out".Length];
        var heads = Heads(unet, block.Name);
        return unet.Hooks.Names.Where(n => n.StartsWith(prefix + ".blocks.", StringComparison.Ordinal) && n.EndsWith(".hook_z", StringComparison.Ordinal))
            .Select(n => new AttentionSite(n.EndsWith(".self.hook_z", StringComparison.Ordinal) ? "attn" : "cross_attn", i, n, heads));
    }).ToList();

    static readonly Regex TransformerOutput = new(@"^unet\.(down\.\d+|mid|up\.\d+)\.attn\.(\d+)\.hook_out$");

    // diffusers: down level i has attention_head_dim[i] heads, the mid block the last level's, up level i the
    // (levels - 1 - i)th.
    static int Heads(UNet2DConditionModel unet, string block)
    {
        var counts = unet.Config.HeadCounts;
        var parts = block.Split('.');
        return parts[0] switch
        {
            "down" => counts[int.Parse(parts[1])],
            "up" => counts[counts.Count - 1 - int.Parse(parts[1])],
            _ => counts[^1],
        };
    }

    /// <summary>A hook's activation as tokens [B, tokens, d]: feature maps flattened over their grid, hook_z over heads.</summary>
    public static Tensor Tokens(string hook, Tensor activation) => activation.dim() switch
    {
        2 => activation.unsqueeze(1),
        3 => activation,
        // hook_z is [B, T, H, dh]; every other 4-D hook is a feature map [B, C, h, w].
        4 when hook.EndsWith(".hook_z", StringComparison.Ordinal) => activation.flatten(2),
        4 => activation.flatten(2).transpose(1, 2),
        _ => throw new ArgumentException($"hook '{hook}' gives a {activation.dim()}-D activation; expected 2 to 4 dimensions"),
    };
}
