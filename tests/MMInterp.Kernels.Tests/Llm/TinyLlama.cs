using MMInterp.Kernels.Models.Llm;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

/// <summary>Small seeded decoders for tests that need no reference (hooks, masks, scaling identities, load errors).</summary>
internal static class TinyLlama
{
    public static LlamaConfig Config(bool qwen = false, bool tied = false, RopeScaling? scaling = null, int maxPositions = 64, double theta = 10000) => new()
    {
        ModelType = qwen ? "qwen2" : "llama", VocabSize = 50, HiddenSize = 32, IntermediateSize = 48, NumLayers = 2,
        NumHeads = 4, NumKvHeads = 2, RmsNormEps = 1e-5, RopeTheta = theta, RopeScaling = scaling, MaxPositions = maxPositions,
        TieWordEmbeddings = tied, QkvBias = qwen, BosTokenId = 1, EosTokenIds = [2],
    };

    public static LlamaForCausalLm Model(LlamaConfig? config = null, long seed = 7) =>
        TorchRuntime.Seeded(seed, () => new LlamaForCausalLm(config ?? Config()));

    public static Tensor Ids(long seed = 3, int batch = 2, int length = 6)
    {
        var g = new Generator((ulong)seed);
        return randint(3, 50, [batch, length], generator: g, dtype: ScalarType.Int64);
    }
}
