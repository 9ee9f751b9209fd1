using System.Text;
using MMInterp.Kernels.Checkpoints;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Tests.Clip;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.IO;

/// <summary>
/// Checkpoints whose content cannot be right are refused when loaded, each with one line naming the file and the
/// problem: data_offsets that overlap, leave gaps or leave trailing bytes; a float tensor relabelled as integers; a
/// NaN or infinite weight; an SAE whose metadata is broken or asks for more memory than the machine has.
/// </summary>
public class CheckpointIntegrityTests
{
    static string TempFile(string name = "t.safetensors") => Path.Combine(Directory.CreateTempSubdirectory("mminterp-integrity-").FullName, name);

    static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "tensor 'b' starts at data byte 4, inside 'a' (which ends at 8): data_offsets overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "data_offsets overlap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12, "tensor 'b' starts at data byte 8 but 'a' ends at 4: a gap")]
    [InlineData("""{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "the data starts at 0: a gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12, "the tensors cover 4 data bytes but the file holds 12")]
    public void OffsetsMustTileTheDataSectionExactly(string header, int dataBytes, string problem)
    {
        var path = TempFile();
        SafeTensorsTests.Craft(path, header, new byte[dataBytes]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ZeroSizedTensorsMayShareAnOffset()
    {
        var path = TempFile();
        SafeTensorsTests.Craft(path, """{"e":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"f":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1));
        Assert.Equal(3, SafeTensors.ReadHeader(path).Entries.Count);
    }

    /// <summary>A Linear's weights as another writer would store them, with <paramref name="weightDType"/> as the label.</summary>
    static string LinearFile(float[] weight, string weightDType = "F32")
    {
        var path = TempFile();
        var header = $$$"""{"bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"weight":{"dtype":"{{{weightDType}}}","shape":[2,2],"data_offsets":[8,24]}}""";
        SafeTensorsTests.Craft(path, header, [.. Floats(0.5f, -0.5f), .. Floats(weight)]);
        return path;
    }

    static void LoadLinear(string path)
    {
        using var linear = nn.Linear(2, 2);
        StreamingWeights.Load(linear, [new WeightShard(path, SafeTensors.ReadHeader(path))], path);
    }

    [Fact]
    public void AFloatTensorRelabelledAsIntegersIsRefusedBeforeAnythingIsRead()
    {
        LoadLinear(LinearFile([1, 2, 3, 4])); // the intact file loads
        var path = LinearFile([1, 2, 3, 4], "I32");
        var e = Assert.Throws<InvalidDataException>(() => LoadLinear(path));
        Assert.Equal($"{path}: tensor 'weight' is stored as I32 but the model's parameter is Float32 (a float tensor must be F32, F16, BF16 or F64; an integer one an integer dtype)", e.Message);
    }

    [Theory]
    [InlineData(float.PositiveInfinity, "holds 1 infinite value(s)")]
    [InlineData(float.NaN, "holds 1 NaN value(s)")]
    public void ANonFiniteWeightIsRefusedNamingTheTensor(float bad, string problem)
    {
        var path = LinearFile([1, bad, 3, 4]);
        var e = Assert.Throws<InvalidDataException>(() => LoadLinear(path));
        Assert.Equal($"{path}: tensor 'weight' {problem}", e.Message);
    }

    [Fact]
    public void AClipCheckpointWithAnInfiniteWeightIsRefused()
    {
        using var scope = NewDisposeScope();
        var dir = Directory.CreateTempSubdirectory("mminterp-integrity-clip-").FullName;
        using var model = TinyClip.Model();
        using (no_grad()) model.named_parameters().First(p => p.name == "text_projection.weight").parameter[0, 0] = float.NegativeInfinity;
        ClipCheckpoint.Save(model, null, dir);
        var e = Assert.Throws<InvalidDataException>(() => ClipCheckpoint.Load(dir));
        Assert.Equal($"{Path.Combine(dir, "model.safetensors")}: tensor 'text_projection.weight' holds 1 infinite value(s)", e.Message);
    }

    static SparseAutoencoder SmallSae() => SaeFactory.Create(new SaeConfig { Kind = SaeKind.TopK, DIn = 4, DSae = 8, K = 2, Seed = 1 });

    /// <summary>Rewrites an SAE file with one tensor or metadata entry changed.</summary>
    static string SaeFile(Action<Dictionary<string, Tensor>, Dictionary<string, string>> change)
    {
        var path = TempFile("sae.safetensors");
        using (var sae = SmallSae()) SaeCheckpoint.SaveSae(path, sae);
        var (tensors, meta) = SafeTensors.Load(path);
        change(tensors, meta);
        SafeTensors.Save(path, tensors, meta);
        foreach (var t in tensors.Values) t.Dispose();
        return path;
    }

    [Fact]
    public void ASaeCheckpointWithANaNWeightOrIntegerWeightsIsRefused()
    {
        using var scope = NewDisposeScope();
        using (SaeCheckpoint.LoadSae(SaeFile((_, _) => { }))) { } // the unchanged file loads

        var nan = SaeFile((t, _) => t["W_dec"][1, 2] = float.NaN);
        Assert.Equal($"{nan}: tensor 'W_dec' holds 1 NaN value(s)", Assert.Throws<InvalidDataException>(() => SaeCheckpoint.LoadSae(nan)).Message);

        var ints = SaeFile((t, _) => t["b_enc"] = t["b_enc"].to(int64));
        Assert.Contains($"{ints}: tensor 'b_enc' is stored as Int64 but the model's parameter is Float32",
            Assert.Throws<InvalidDataException>(() => SaeCheckpoint.LoadSae(ints)).Message);
    }

    [Fact]
    public void ASaeCheckpointWithBrokenMetadataIsOneLineNamingTheFile()
    {
        var scale = SaeFile((_, m) => m["norm_scale"] = "Infinity");
        Assert.Contains("metadata 'norm_scale' must be a positive finite number, got 'Infinity'", Assert.Throws<InvalidDataException>(() => SaeCheckpoint.LoadSae(scale)).Message);

        var config = SaeFile((_, m) => m["config"] = "{\"Kind\":\"TopK\",");
        var e = Assert.Throws<InvalidDataException>(() => SaeCheckpoint.LoadSae(config));
        Assert.StartsWith($"'{config}': bad SAE config: SAE config is not valid JSON", e.Message);

        // A config asking for an SAE of 2^31 x 2^31 is refused before the SAE is allocated, not by libtorch's allocator.
        var huge = SaeFile((_, m) => m["config"] = new SaeConfig { Kind = SaeKind.Relu, DIn = 4, DSae = 8 }.ToJson()
            .Replace("\"DIn\":4", $"\"DIn\":{int.MaxValue}").Replace("\"DSae\":8", $"\"DSae\":{int.MaxValue}"));
        e = Assert.Throws<InvalidDataException>(() => SaeCheckpoint.LoadSae(huge));
        Assert.Matches($"an SAE of d_in {int.MaxValue} x d_sae {int.MaxValue} asks for [0-9.]+ EB of parameters; this machine has [0-9.]+ [GMT]B", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
