using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

/// <summary>Registry records and artefact references survive Orleans serialization (they travel in grain messages).</summary>
public class SerializationTests
{
    static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;

    [Fact]
    public void ArtefactRefsRoundTripThroughTheirSurrogate()
    {
        var r = new ArtefactRef(ArtefactHash.Of("x"u8), 1, ArtefactKind.Safetensors);
        Assert.Equal(r, RoundTrip(r));
        Assert.Equal(ArtefactKind.Manifest, RoundTrip(ArtefactKind.Manifest));
    }

    [Fact]
    public void RegistryRecordsRoundTrip()
    {
        var now = DateTimeOffset.UtcNow;
        var run = new RunRecord("run-1", "default", RunKind.SaeTraining, RunStatus.Running, 0.5, 10, 20, "{}", null, null, "exp-1", now, now, now, null);
        Assert.Equal(run, RoundTrip(run));
        var acts = new ActivationSetRecord("acts-1", "default", "model-1", ["a", "b"], "{}", 2, 100, new string('a', 64), null, now);
        var back = RoundTrip(acts);
        Assert.Equal(acts.HookPoints, back.HookPoints);
        Assert.Equal(acts with { HookPoints = back.HookPoints }, back);
        var principal = new TokenPrincipal("t", "u", "p", [TokenScope.Read]);
        Assert.Equal(principal.Scopes, RoundTrip(principal).Scopes);
    }
}
