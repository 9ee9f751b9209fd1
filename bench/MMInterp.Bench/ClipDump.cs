using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Extraction;
using MMInterp.Kernels.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Bench;

/// <summary>`clip-dump WORK OUT`: writes outputs of the prepared ViT-B/32 (embeddings with and without autograd, text
/// embeddings, extraction rows at hooks inside and between blocks) so two builds can be compared bit for bit.</summary>
public static class ClipDump
{
    public static int Run(string work, string output)
    {
        torch.manual_seed(1);
        var model = ClipCheckpoint.Load(work).Model;
        using var images = ClipBench.Images(work);
        using var mean = tensor(ClipB32.Mean).view(1, 3, 1, 1);
        using var std = tensor(ClipB32.Std).view(1, 3, 1, 1);
        using var max = 255.ToScalar();
        Tensor Pixels(long at, int n) => images.narrow(0, at, n).to_type(float32).div(max).sub(mean).div(std);
        var outputs = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            outputs["embeds_nograd"] = model.EncodeImage(Pixels(0, 6));
            outputs["text_nograd"] = model.EncodeText(randint(3, 400, [3, 77]));
        }
        model.train();
        var embeds = model.EncodeImage(Pixels(0, 4));
        embeds.pow(2).sum().backward();
        outputs["embeds_grad"] = embeds.detach();
        outputs["grad_fc1"] = model.VisionModel.named_parameters().First(p => p.name == "encoder.layers.3.mlp.fc1.weight").parameter.grad!.clone();
        model.zero_grad();
        string[] hooks = ["vision.blocks.0.hook_resid_pre", "vision.blocks.3.attn.hook_z", "vision.blocks.3.mlp.hook_post",
            "vision.blocks.6.hook_resid_post", "vision.blocks.7.hook_resid_mid", "vision.blocks.11.attn.hook_pattern"];
        foreach (var (k, v) in ClipActivationExtractor.Extract(model, Pixels, 0, 10, hooks, 4)) outputs["rows_" + k] = v;
        foreach (var (k, v) in ClipActivationExtractor.Extract(model, Pixels, 0, 10, ["vision.blocks.6.hook_resid_post"], 4)) outputs["single_" + k] = v;
        SafeTensors.Save(output, outputs);
        Console.WriteLine($"wrote {output}: {string.Join(", ", outputs.Select(kv => $"{kv.Key} [{string.Join(",", kv.Value.shape)}]"))}");
        return 0;
    }
}
