using MMInterp.Kernels.Activations;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;
using Xunit;

namespace MMInterp.Kernels.Tests.Sae;

/// <summary>Bad configuration values fail at the edge with an ArgumentException that names the field.</summary>
public class ConfigValidationTests
{
    private static readonly SaeConfig Good = new() { Kind = SaeKind.TopK, DIn = 8, DSae = 16, K = 4 };

    public static TheoryData<SaeConfig, string> BadSae => new()
    {
        { Good with { DIn = 0 }, "DIn" },
        { Good with { DSae = -3 }, "DSae" },
        { Good with { K = 17 }, "K" },
        { Good with { K = 0 }, "K" },
        { Good with { DecoderInitNorm = double.NaN }, "DecoderInitNorm" },
        { Good with { Kind = SaeKind.JumpRelu, JumpReluBandwidth = 0 }, "JumpReluBandwidth" },
        { Good with { Kind = SaeKind.JumpRelu, JumpReluInitThreshold = -1 }, "JumpReluInitThreshold" },
        { Good with { Kind = (SaeKind)42 }, "Kind" },
    };

    [Theory]
    [MemberData(nameof(BadSae))]
    public void BadSaeConfigNamesTheField(SaeConfig config, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => SaeFactory.Create(config));
        Assert.Equal(field, e.ParamName);
        Assert.StartsWith(field, e.Message);
    }

    public static TheoryData<SaeTrainingConfig, string> BadTraining => new()
    {
        { new SaeTrainingConfig { Lr = 0 }, "Lr" },
        { new SaeTrainingConfig { Lr = double.PositiveInfinity }, "Lr" },
        { new SaeTrainingConfig { Beta2 = 1 }, "Beta2" },
        { new SaeTrainingConfig { SparsityCoefficient = -0.1 }, "SparsityCoefficient" },
        { new SaeTrainingConfig { MaxGradNorm = double.NaN }, "MaxGradNorm" },
        { new SaeTrainingConfig { AuxK = 0 }, "AuxK" },
        { new SaeTrainingConfig { DenseThreshold = 2 }, "DenseThreshold" },
        { new SaeTrainingConfig { LrWarmupSteps = -1 }, "LrWarmupSteps" },
    };

    [Theory]
    [MemberData(nameof(BadTraining))]
    public void BadTrainingConfigNamesTheField(SaeTrainingConfig config, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => config.Validate());
        Assert.Equal(field, e.ParamName);
    }

    [Fact]
    public void BadSweepIsRejectedBeforeTraining()
    {
        var member = new SweepMember("a", Good, new SaeTrainingConfig());
        using var src = new InMemoryActivationSource(TorchSharp.torch.randn(64, 8), 1);
        var dir = Path.Combine(Path.GetTempPath(), "mmi-never-" + Guid.NewGuid().ToString("N"));
        Assert.Equal("BatchSize", Assert.Throws<ArgumentException>(() => SaeTrainer.Run(new SweepConfig { Members = [member], BatchSize = 0 }, src, dir)).ParamName);
        Assert.Equal("Name", Assert.Throws<ArgumentException>(() => SaeTrainer.Run(new SweepConfig { Members = [member, member] }, src, dir)).ParamName);
        Assert.Equal("Lr", Assert.Throws<ArgumentException>(() => SaeTrainer.Run(new SweepConfig { Members = [member with { Training = new SaeTrainingConfig { Lr = -1 } }] }, src, dir)).ParamName);
        Assert.Equal("DIn", Assert.Throws<ArgumentException>(() => SaeTrainer.Run(new SweepConfig { Members = [member with { Sae = Good with { DIn = 9 } }] }, src, dir)).ParamName);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void ConfigJsonRoundTrips()
    {
        var c = Good with { Kind = SaeKind.JumpRelu, NormalizeInput = true };
        Assert.Equal(c, SaeConfig.FromJson(c.ToJson()));
        var t = new SaeTrainingConfig { DeadFeatures = DeadFeatureStrategy.AuxK, Lr = 2e-4 };
        Assert.Equal(t, SaeTrainingConfig.FromJson(t.ToJson()));
    }
}
