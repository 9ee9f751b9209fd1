using MMInterp.Kernels.Models.Diffusion;
using MMInterp.Kernels.Models.StableDiffusion;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.PipelineDenoiser;

/// <summary>A Stable Diffusion 1.x/2.x pipeline's text encoder as the diffusion analyses read it: the token states are
/// diffusers' prompt_embeds (last_hidden_state), the pooled state CLIP's end-of-text token.</summary>
public sealed class SdPromptEncoder(SdTextEncoder encoder, Device device) : IPromptEncoder
{
    public Device Device { get; } = device;

    public TextCondition Encode(IReadOnlyList<string> captions, Device? device = null)
    {
        if (captions.Count == 0) throw new ArgumentException("at least one caption is needed", nameof(captions));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = encoder.Model.Encode(encoder.Tokenizer.Encode(captions), fromEnd: 1);
        var target = device ?? Device;
        return new TextCondition(scope.MoveToOuter(output.LastHidden.to(target)), scope.MoveToOuter(output.Pooled.to(target)));
    }

    public IReadOnlyList<string> TokenWords(string caption)
    {
        var bpe = encoder.Tokenizer.Bpe;
        var ids = bpe.Encode(caption).Take(encoder.Tokenizer.MaxLength).ToList();
        return ids.Select((id, k) => id == bpe.StartId && k == 0 ? "SOT" : id == bpe.EndId ? "EOT" : bpe.Decode([id]).Trim()).ToList();
    }
}
