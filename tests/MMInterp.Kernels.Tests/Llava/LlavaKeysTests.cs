using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Llava;
using Xunit;

namespace MMInterp.Kernels.Tests.Llava;

/// <summary>The keys computed from a config alone (what `models add` checks without allocating) are the model's own,
/// and the newer layout's names map both ways.</summary>
public class LlavaKeysTests
{
    [Theory]
    [InlineData("older_bf16", false)]
    [InlineData("newer_list", true)]
    public void ExpectedKeysAreTheModelsParameters(string name, bool qwenTied)
    {
        var golden = LlavaCheckpoint.ReadConfig(LlavaGolden.Dir(name));
        var config = qwenTied ? golden with { Text = golden.Text with { ModelType = "qwen2", QkvBias = true, TieWordEmbeddings = true }, ProjectorBias = false } : golden;
        using var model = new LlavaForConditionalGeneration(config);
        var actual = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var expected = LlavaExpectedKeys.Expected(config);
        Assert.Equal(actual.Keys.Order(), expected.Keys.Order());
        foreach (var (k, shape) in actual) Assert.Equal(shape, expected[k]);
        Assert.Equal((double)actual.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), config.ParameterCount);
        foreach (var k in actual.Keys)
            Assert.Equal(k, LlavaHfKeys.ToModel(LlavaHfKeys.ToFile(k, LlavaKeyLayout.Newer), LlavaKeyLayout.Newer));
        Assert.Equal("model.language_model.layers.0.mlp.up_proj.weight", LlavaHfKeys.ToFile("language_model.model.layers.0.mlp.up_proj.weight", LlavaKeyLayout.Newer));
        Assert.Equal("lm_head.weight", LlavaHfKeys.ToFile("language_model.lm_head.weight", LlavaKeyLayout.Newer));
        Assert.Equal("model.vision_tower.vision_model.pre_layrnorm.bias", LlavaHfKeys.ToFile("vision_tower.vision_model.pre_layrnorm.bias", LlavaKeyLayout.Newer));
    }
}
