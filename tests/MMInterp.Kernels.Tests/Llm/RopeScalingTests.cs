using MMInterp.Kernels.Models.Llm;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.Llm;

/// <summary>
/// HF's "linear" and "dynamic" rope_scaling have no Meta reference (llama3 is checked against Meta's code in
/// <see cref="MetaReferenceTests"/>), so they are held to what HF's formulas imply: linear scaling by f is the unscaled
/// model at positions divided by f; dynamic scaling is the unscaled model up to max_position_embeddings, and beyond it
/// the unscaled model with base theta * (f * L / max - (f - 1)) ^ (d / (d - 2)) for a sequence of length L.
/// </summary>
public class RopeScalingTests
{
    [Fact]
    public void LinearScalingIsPositionsDividedByTheFactor()
    {
        using var scope = NewDisposeScope();
        using var plain = TinyLlama.Model();
        using var scaled = TinyLlama.Model(TinyLlama.Config(scaling: new RopeScaling { Type = RopeScaling.Linear, Factor = 2 }));
        var ids = TinyLlama.Ids();
        var positions = arange(0, 6, dtype: ScalarType.Int64).unsqueeze(0).expand(2, 6);
        using var _ = no_grad();
        var expected = plain.Forward(ids, positions: positions);
        Assert.True((scaled.Forward(ids, positions: positions * 2) - expected).abs().max().item<float>() < 1e-5);
        // And the scaling does act: at the default positions the two differ.
        Assert.True((scaled.Forward(ids) - expected).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void DynamicScalingIsUnscaledWithinTheContextAndRebasedBeyondIt()
    {
        using var scope = NewDisposeScope();
        var scaling = new RopeScaling { Type = RopeScaling.Dynamic, Factor = 3 };
        using var dynamic = TinyLlama.Model(TinyLlama.Config(scaling: scaling, maxPositions: 8));
        using var plain = TinyLlama.Model(TinyLlama.Config(maxPositions: 8));
        using var _ = no_grad();
        var within = TinyLlama.Ids(length: 8);
        Assert.Equal(0f, (dynamic.Forward(within) - plain.Forward(within)).abs().max().item<float>());

        var beyond = TinyLlama.Ids(length: 12);
        const int d = 8; // head_dim 32 / 4
        var theta = 10000 * Math.Pow(3.0 * 12 / 8 - 2, d / (d - 2.0));
        using var rebased = TinyLlama.Model(TinyLlama.Config(maxPositions: 8, theta: theta));
        Assert.True((dynamic.Forward(beyond) - rebased.Forward(beyond)).abs().max().item<float>() < 1e-5);
        Assert.True((dynamic.Forward(beyond) - plain.Forward(beyond)).abs().max().item<float>() > 1e-3);
    }

    [Fact]
    public void Llama3ScalingKeepsHighFrequenciesAndDividesLowOnes()
    {
        var c = TinyLlama.Config(theta: 500000, maxPositions: 131072) with
        {
            RopeScaling = new RopeScaling { Type = RopeScaling.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositions = 8192 },
        };
        var scaled = RotaryEmbedding.InverseFrequencies(c, 1);
        var plain = RotaryEmbedding.InverseFrequencies(c with { RopeScaling = null }, 1);
        for (var i = 0; i < plain.Length; i++)
        {
            var wavelength = 2 * Math.PI / plain[i];
            if (wavelength < 8192 / 4.0) Assert.Equal(plain[i], scaled[i]);
            else if (wavelength > 8192) Assert.Equal(plain[i] / 8, scaled[i], 1e-6f * plain[i]);
            else Assert.InRange(scaled[i], plain[i] / 8, plain[i]);
        }
    }

    [Theory]
    [InlineData("yarn", "rope_scaling type 'yarn' is not supported (supported: linear, dynamic, llama3)")]
    [InlineData("linear", "rope_scaling.factor must be a finite number >= 1, got 0.5")]
    public void UnsupportedOrBadScalingIsRefusedByName(string type, string message)
    {
        var c = TinyLlama.Config(scaling: new RopeScaling { Type = type, Factor = type == "linear" ? 0.5 : 2 });
        Assert.StartsWith(message, Assert.Throws<ArgumentException>(() => c.Validate()).Message);
    }
}
