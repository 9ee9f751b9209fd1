using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Llm;

/// <summary>
/// Greedy decoding (argmax at every step, as HF generate with do_sample=False): with a KV cache (one prefill, then one
/// position per step) or without (the whole sequence again at every step); both give the same tokens. Prompts are token
/// ids or input embeddings (a multimodal prompt with image features spliced in).
/// </summary>
public static class LlamaGreedy
{
    /// <summary>The continuation of each row of <paramref name="promptIds"/> [B, T].</summary>
    public static long[][] Generate(LlamaForCausalLm lm, Tensor promptIds, int maxNewTokens, IReadOnlyCollection<int>? stopIds = null,
        bool useCache = true, Tensor? attentionMask = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return GenerateFromEmbeddings(lm, lm.Embed(promptIds), maxNewTokens, stopIds, useCache, attentionMask);
    }

    /// <summary>
    /// The continuation of each row of <paramref name="promptEmbeds"/> [B, T, D]: up to <paramref name="maxNewTokens"/>
    /// ids per row, ending at (and including) the first stop id (default: the config's eos_token_id).
    /// </summary>
    /// <param name="attentionMask">[B, T] 1 for real and 0 for (left) padding positions of the prompt, or null</param>
    public static long[][] GenerateFromEmbeddings(LlamaForCausalLm lm, Tensor promptEmbeds, int maxNewTokens, IReadOnlyCollection<int>? stopIds = null,
        bool useCache = true, Tensor? attentionMask = null)
    {
        if (maxNewTokens < 0) throw new ArgumentException($"maxNewTokens must be >= 0, got {maxNewTokens}");
        var stops = (stopIds ?? lm.Config.EosTokenIds).Select(i => (long)i).ToHashSet();
        var rows = (int)promptEmbeds.shape[0];
        var output = Enumerable.Range(0, rows).Select(_ => new List<long>()).ToArray();
        var done = new bool[rows];
        using var noGrad = no_grad();
        using var cache = useCache ? lm.NewCache() : null;
        using var outer = NewDisposeScope();
        var mask = attentionMask?.to(ScalarType.Int64);
        var sequence = promptEmbeds; // the cache-free pass's whole input so far
        var next = promptEmbeds;     // the cached pass's new positions
        for (var step = 0; step < maxNewTokens && !done.All(d => d); step++)
        {
            using var scope = NewDisposeScope();
            var input = useCache ? next : sequence;
            var residual = lm.Residual(input, cache, mask);
            var logits = lm.Unembed(residual.narrow(1, residual.shape[1] - 1, 1)); // [B, 1, V]
            var tokens = logits.argmax(-1);                                          // [B, 1]
            var ids = tokens.data<long>().ToArray();
            for (var r = 0; r < rows; r++)
            {
                if (done[r]) continue;
                output[r].Add(ids[r]);
                if (stops.Contains(ids[r])) done[r] = true;
            }
            var embedded = lm.Embed(tokens);
            next = embedded.MoveToOuterDisposeScope();
            if (!useCache) sequence = cat([sequence, embedded], 1).MoveToOuterDisposeScope();
            if (mask is not null) mask = cat([mask, ones(rows, 1, ScalarType.Int64, device: mask.device)], 1).MoveToOuterDisposeScope();
        }
        return output.Select(o => o.ToArray()).ToArray();
    }
}
