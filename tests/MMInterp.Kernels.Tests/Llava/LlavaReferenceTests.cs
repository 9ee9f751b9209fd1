using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Llava;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>
/// LLaVA against independent references on small random checkpoints in HF's two key layouts
/// (tests/reference/llava_reference.py): the projected image features (OpenAI's CLIP tower, HF's projector formula),
/// the logits of the merged sequence (Meta's Llama on it) and the greedy continuation, with and without the KV cache.
/// </summary>
public class LlavaReferenceTests
{
    public static TheoryData<string> Cases => new(LlavaGolden.Cases);

    // The references ran in float32 on the same bf16-rounded values; only summation order differs.
    const double Tight = 1e-4;

    static readonly LlavaLoadOptions NoTokenizer = new() { LoadTokenizer = false };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MergedSequenceLogitsAndGreedyMatchTheReferences(string name)
    {
        using var scope = NewDisposeScope();
        var g = LlavaGolden.Outputs(name);
        var loaded = LlavaCheckpoint.Load(LlavaGolden.Dir(name), NoTokenizer);
        using var model = loaded.Model;
        Assert.Equal(name.StartsWith("older") ? LlavaKeyLayout.Older : LlavaKeyLayout.Newer, loaded.Layout);
        Assert.Equal(ScalarType.BFloat16, model.StorageDType);
        Assert.Equal(ScalarType.BFloat16, model.LanguageModel.Model.EmbedTokens.Weight.dtype);
        using var _ = no_grad();
        var pixels = g["pixel_values"];
        LlavaGolden.AssertClose(g["image_features"], model.ImageFeatures(pixels), Tight, $"{name} image features");
        var ids = LlavaGolden.Ids(g["input_ids"]);
        LlavaGolden.AssertClose(g["logits"], model.Logits(ids, pixels), Tight, $"{name} logits");
        var greedy = LlavaGolden.Ids(g["greedy"]);
        // Meta's loop does not stop at an end token, so neither does this one.
        Assert.Equal(greedy, model.Generate(ids, pixels, greedy.Length, stopIds: [], useCache: true));
        Assert.Equal(greedy, model.Generate(ids, pixels, greedy.Length, stopIds: [], useCache: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AlreadyExpandedImageTokensGiveTheSameSequence(string name)
    {
        using var scope = NewDisposeScope();
        var g = LlavaGolden.Outputs(name);
        using var model = LlavaCheckpoint.Load(LlavaGolden.Dir(name), NoTokenizer).Model;
        var ids = LlavaGolden.Ids(g["input_ids"]);
        var expanded = LlavaImageTokens.Expand(ids, model.Config.ImageTokenId, 1, model.Config.FeaturesPerImage);
        Assert.Equal(ids.Length - 1 + model.Config.FeaturesPerImage, expanded.Length);
        using var _ = no_grad();
        LlavaGolden.AssertClose(g["logits"], model.Logits(expanded, g["pixel_values"]), Tight, $"{name} logits from expanded ids");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fp32LoadMatchesTheReferences(string name)
    {
        using var scope = NewDisposeScope();
        var g = LlavaGolden.Outputs(name);
        using var model = LlavaCheckpoint.Load(LlavaGolden.Dir(name), NoTokenizer with { KeepStoredDType = false }).Model;
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        using var _ = no_grad();
        LlavaGolden.AssertClose(g["logits"], model.Logits(LlavaGolden.Ids(g["input_ids"]), g["pixel_values"]), Tight, $"{name} fp32 logits");
    }

    [Theory]
    [InlineData("older_bf16", LlavaKeyLayout.Newer, 3)]
    [InlineData("newer_list", LlavaKeyLayout.Older, 2)]
    public void SavedInTheOtherLayoutAndShardedItLoadsToTheSameLogits(string name, LlavaKeyLayout layout, int shards)
    {
        using var scope = NewDisposeScope();
        var g = LlavaGolden.Outputs(name);
        using var model = LlavaCheckpoint.Load(LlavaGolden.Dir(name), NoTokenizer).Model;
        var dir = Directory.CreateTempSubdirectory("mminterp-llava-").FullName;
        try
        {
            LlavaCheckpoint.Save(model, dir, layout, shards);
            Assert.True(File.Exists(Path.Combine(dir, HfWeightFiles.IndexFile)));
            var again = LlavaCheckpoint.Load(dir, NoTokenizer);
            using var reloaded = again.Model;
            Assert.Equal(layout, again.Layout);
            Assert.Equal(model.Config.VisionFeatureLayers, reloaded.Config.VisionFeatureLayers);
            using var _ = no_grad();
            LlavaGolden.AssertClose(g["logits"], reloaded.Logits(LlavaGolden.Ids(g["input_ids"]), g["pixel_values"]), Tight, $"{name} as {layout}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
