using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.Models.Clip;
using MMInterp.Kernels.Tensors;
using Xunit;

namespace MMInterp.Kernels.Tests.Clip;

/// <summary>Config numbers a model cannot have are refused by name (non-finite, negative, absurd sizes), and a config
/// whose weights cannot fit in this machine's memory is refused in one line before anything is allocated.</summary>
public class ClipConfigBoundsTests
{
    static string ConfigDir(string textConfig, string rest = "")
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-bounds-").FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), $$"""{"model_type": "clip", "text_config": {{{textConfig}}}, "vision_config": {}{{rest}}}""");
        return dir;
    }

    [Theory]
    [InlineData("\"layer_norm_eps\": 1e400", "layer_norm_eps must be a finite number, got 1e400")]
    [InlineData("\"layer_norm_eps\": -1e-5", "text_config.LayerNormEps must be in (0, 1), got -1E-05")]
    [InlineData("\"layer_norm_eps\": 2", "text_config.LayerNormEps must be in (0, 1), got 2")]
    [InlineData("\"layer_norm_eps\": \"NaN\"", "layer_norm_eps must be a number, got \"NaN\"")]
    [InlineData("\"hidden_size\": 0", "text_config.HiddenSize must be in 1..131072, got 0")]
    [InlineData("\"hidden_size\": 1e9", "text_config.HiddenSize must be in 1..131072, got 1000000000")]
    [InlineData("\"hidden_size\": 3e9", "hidden_size must be an integer, got 3000000000")]
    [InlineData("\"num_hidden_layers\": 100000", "text_config.NumLayers must be in 1..1024, got 100000")]
    [InlineData("\"vocab_size\": -5", "text_config.vocab_size must be in 1..16777216, got -5")]
    [InlineData("\"max_position_embeddings\": 1e300", "max_position_embeddings must be an integer")]
    [InlineData("\"hidden_act\": 7", "a field has the wrong JSON type")]
    public void BadNumbersAreNamed(string field, string problem)
    {
        var dir = ConfigDir(field);
        var e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.StartsWith(Path.Combine(dir, "config.json") + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AConfigAskingForTerabytesIsRefusedInOneLineBeforeAnyAllocation()
    {
        // 16M tokens x 65536 wide = 4.4 TB of fp32 embedding; no weights file is needed to refuse it.
        var dir = ConfigDir("\"vocab_size\": 16777216, \"hidden_size\": 65536, \"num_attention_heads\": 64");
        var e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.Matches(@": config asks for [0-9.]+ TB of weights; this machine has [0-9.]+ [GMT]B$", e.Message);
        Assert.StartsWith(Path.Combine(dir, "config.json"), e.Message);
    }

    [Theory]
    [InlineData("""{"Lm": {"HiddenSize": 65536, "NumHeads": 64, "IntermediateSize": 256, "NumLayers": 2}, "VocabSize": 16777216}""", "config asks for")]
    [InlineData("""{"Lm": {"LayerNormEps": -1}}""", "lm.LayerNormEps must be in (0, 1)")]
    [InlineData("""{"Lm": {"LayerNormEps": 1e400}}""", "lm.LayerNormEps must be in (0, 1), got")] // System.Text.Json reads 1e400 as infinity
    [InlineData("""{"VocabSize": "many"}""", "not a valid VLM config")]
    public void AVlmConfigIsCheckedBeforeAnythingElseIsRead(string json, string problem)
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-bounds-vlm-").FullName;
        File.WriteAllText(Path.Combine(dir, VlmCheckpoint.ConfigFile), json);
        var e = Assert.Throws<InvalidDataException>(() => VlmCheckpoint.Load(dir));
        Assert.StartsWith(Path.Combine(dir, VlmCheckpoint.ConfigFile), e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheParameterCountFromSizesIsTheStateDictsCount()
    {
        foreach (var config in new[]
                 {
                     TinyClip.Config(layers: 2),
                     new ClipConfig
                     {
                         ProjectionDim = 512,
                         Vision = new ClipVisionConfig { ImageSize = 224, PatchSize = 32, Tower = new ClipTowerConfig { HiddenSize = 768, IntermediateSize = 3072, NumLayers = 12, NumHeads = 12 } },
                         Text = new ClipTextConfig { Tower = new ClipTowerConfig { HiddenSize = 512, IntermediateSize = 2048, NumLayers = 12, NumHeads = 8 } },
                     },
                 })
            Assert.Equal(ClipHfKeys.ParameterCount(ClipHfKeys.Expected(config)), (long)config.ParameterCount);
    }

    [Fact]
    public void SizesAreFormattedForPeople()
    {
        Assert.Equal("4.0 TB", MemoryBudget.Format(4.0e12));
        Assert.Equal("24.0 GB", MemoryBudget.Format(24e9));
        Assert.Equal("512 MB", MemoryBudget.Format(512e6));
        Assert.Equal("100 bytes", MemoryBudget.Format(100));
        Assert.Null(MemoryBudget.Exceeds(1, "weights"));
    }
}
