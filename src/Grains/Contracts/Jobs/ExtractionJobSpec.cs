using MMInterp.Kernels.Extraction;

namespace MMInterp.Grains.Contracts.Jobs;

/// <summary>Extract activations of a model at some hook points over a dataset, in shards. <paramref name="Tokens"/>: which
/// tokens of each image become rows (<see cref="TokenSelection"/>: "patch", "cls"; null = all, what specs written before
/// the option hold); recorded with the activation set so a dictionary trained on it knows it. <paramref name="Prompts"/>:
/// a user's prompts as the text of a diffusion model's captioned keys (@c=caption, @c=half), in turn; recorded with the
/// run.</summary>
[GenerateSerializer, Immutable]
public sealed record ExtractionJobSpec(
    [property: Id(0)] string ModelId,
    [property: Id(1)] IReadOnlyList<string> Hooks,
    [property: Id(2)] DatasetSpec Dataset,
    [property: Id(3)] int Shards,
    [property: Id(4)] int MaxAttemptsPerShard = 3,
    [property: Id(5)] string? Tokens = null,
    [property: Id(6)] IReadOnlyList<string>? Prompts = null)
{
    /// <summary>The parsed <see cref="Tokens"/>.</summary>
    public TokenSelection TokenSelection => TokenSelections.Parse(Tokens);

    public ExtractionJobSpec Validated()
    {
        if (string.IsNullOrWhiteSpace(ModelId)) throw new ArgumentException("extraction: model id is empty");
        if (Hooks.Count == 0 || Hooks.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException("extraction: at least one hook point is required, none may be empty");
        if (Hooks.Distinct().Count() != Hooks.Count) throw new ArgumentException("extraction: hook points repeat");
        if (Shards < 1) throw new ArgumentException($"extraction: shards must be at least 1, got {Shards}");
        if (Shards > Dataset.Count) throw new ArgumentException($"extraction: {Shards} shards for {Dataset.Count} examples leaves empty shards");
        UserPrompts.Check(Prompts, "extraction: prompts");
        if (Prompts is not null && !Hooks.Any(h => h.Contains("@c=caption", StringComparison.Ordinal) || h.Contains("@c=half", StringComparison.Ordinal)))
            throw new ArgumentException("extraction: prompts caption the rows of captioned timestep keys (@c=caption or @c=half); none of the hooks is one");
        if (MaxAttemptsPerShard < 1) throw new ArgumentException($"extraction: max attempts per shard must be at least 1, got {MaxAttemptsPerShard}");
        // Checked here, before any shard runs: a bad name, tokens of a hook that has no class token, and the patches of
        // the pooled output (the class token alone) are one line each.
        var tokens = TokenSelection;
        if (tokens != TokenSelection.All)
            foreach (var h in Hooks)
            {
                if (!h.StartsWith("vision.", StringComparison.Ordinal))
                    throw new ArgumentException($"extraction: tokens '{tokens.Name()}' applies to vision hooks; '{h}' is not one (use tokens all)");
                if (h == Kernels.Models.Clip.ClipVisionTransformer.PooledHook) tokens.Range(1, h);
            }
        return this;
    }

    /// <summary>Example range [Start, Start+Count) of shard <paramref name="index"/>: contiguous, sizes differ by at most one.</summary>
    public (int Start, int Count) ShardRange(int index)
    {
        int baseSize = Dataset.Count / Shards, extra = Dataset.Count % Shards;
        var start = index * baseSize + Math.Min(index, extra);
        return (start, baseSize + (index < extra ? 1 : 0));
    }
}
