using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Dictionaries;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Placement;
using MMInterp.Grains.Registry;
using MMInterp.Integration.Tests.Extraction;
using MMInterp.Kernels.Artefacts;
using MMInterp.Kernels.Sae;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Integration.Tests.Dictionaries;

/// <summary>
/// The Dictionary grain on the three-silo cluster (two accelerators) with a real registry and artefact store: a
/// registered TopK SAE is loaded once on an accelerator, and its encode, decode and feature answers equal the same SAE
/// run in this process.
/// </summary>
public sealed class DictionaryGrainTests(ExtractionCluster fx) : IClassFixture<ExtractionCluster>
{
    const int DIn = 16, DSae = 64;

    async Task<SparseAutoencoder> RegisterAsync(string id)
    {
        var sae = new TopKSae(new SaeConfig { Kind = SaeKind.TopK, DIn = DIn, DSae = DSae, K = 4, Seed = 11 });
        var path = Path.Combine(fx.Home, $"{id}.safetensors");
        Directory.CreateDirectory(fx.Home);
        SaeCheckpoint.SaveSae(path, sae);
        var stored = await fx.Store.PutFileAsync(path, ArtefactKind.Safetensors);
        await fx.Registry.Artefacts.RecordAsync(stored);
        await fx.Registry.Dictionaries.RegisterAsync(new NewDictionary("clip-e2e", "vision.blocks.1.hook_resid_post",
            SaeArchitecture.TopK, DIn, DSae, stored.Sha256, sae.Config.ToJson(), Id: id));
        return sae;
    }

    [Fact]
    public async Task ARegisteredSaeIsServedFromOneAcceleratorAndAnswersAsTheKernelDoes()
    {
        using var sae = await RegisterAsync("dict-grain-1");
        await fx.Registry.Features.UpsertStatsAsync("dict-grain-1", [new FeatureStats(3, """{"density":0.25}""")]);
        var grain = fx.Cluster.Client.GetGrain<IDictionaryGrain>("dict-grain-1");

        var info = await grain.Describe();
        var accelerators = fx.Cluster.Silos.Where(s => fx.Roles[s.Name] == SiloRole.Accelerator).Select(s => s.SiloAddress.ToString()).ToHashSet();
        Assert.Contains(info.Silo, accelerators);
        Assert.Equal(("clip-e2e", "TopK", DIn, DSae), (info.ModelId, info.Kind, info.DIn, info.DSae));

        var rows = new float[5 * DIn];
        var rng = new Random(4);
        for (var i = 0; i < rows.Length; i++) rows[i] = (float)(rng.NextDouble() * 2 - 1);
        var codes = await grain.Encode(new ActivationRows(DIn, rows));
        float[] expectedZ, expectedX;
        using (NewDisposeScope())
        {
            var z = sae.Encode(tensor(rows, new long[] { 5, DIn }));
            expectedZ = z.data<float>().ToArray();
            expectedX = sae.Decode(z).data<float>().ToArray();
        }
        var dense = new float[5 * DSae];
        for (var r = 0; r < codes.Count; r++)
            for (var i = codes.RowStarts[r]; i < codes.RowStarts[r + 1]; i++) dense[r * DSae + codes.Features[i]] = codes.Values[i];
        Assert.Equal((5, DSae), (codes.Count, codes.Width));
        Assert.Equal(expectedZ.Count(v => v != 0), codes.Features.Length);
        Assert.Equal(expectedZ, dense, (a, b) => Math.Abs(a - b) < 1e-5);

        var decoded = await grain.Decode(codes);
        Assert.Equal(DIn, decoded.Width);
        Assert.Equal(expectedX, decoded.Values, (a, b) => Math.Abs(a - b) < 1e-5);

        var feature = await grain.Feature(3);
        double norm;
        using (NewDisposeScope()) norm = sae.W_dec[3].norm().item<float>();
        Assert.Equal((3, 0.25), (feature.Index, JsonNode.Parse(feature.StatsJson!)!["density"]!.GetValue<double>()));
        Assert.Equal(norm, feature.DecoderNorm, 5);
        Assert.Null((await grain.Feature(4)).StatsJson);

        // Loaded once: later calls are served by the same load on the same silo.
        Assert.Equal((info.Silo, info.LoadedAt), ((await grain.Describe()).Silo, (await grain.Describe()).LoadedAt));
    }

    [Fact]
    public async Task BadRequestsAreNamed()
    {
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => fx.Cluster.Client.GetGrain<IDictionaryGrain>("dict-none").Describe());
        Assert.Equal("dictionary 'dict-none' is not registered", unknown.Message);

        using var _ = await RegisterAsync("dict-grain-2");
        var grain = fx.Cluster.Client.GetGrain<IDictionaryGrain>("dict-grain-2");
        var width = await Assert.ThrowsAsync<ArgumentException>(() => grain.Encode(new ActivationRows(8, new float[16])));
        Assert.Equal($"dictionary 'dict-grain-2' reads rows of width {DIn}, got 8", width.Message);
        var index = await Assert.ThrowsAsync<ArgumentException>(() => grain.Feature(DSae));
        Assert.Equal($"dictionary 'dict-grain-2' has features 0..{DSae - 1}, got {DSae}", index.Message);
        var ragged = await Assert.ThrowsAsync<ArgumentException>(() => grain.Encode(new ActivationRows(DIn, new float[DIn + 1])));
        Assert.Contains("not whole rows", ragged.Message);
    }
}
