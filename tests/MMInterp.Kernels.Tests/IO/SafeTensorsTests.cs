using System.Buffers.Binary;
using System.Text;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Tests.Clip;
using Xunit;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tests.IO;

public class SafeTensorsTests
{
    static string TempFile() => Path.Combine(Directory.CreateTempSubdirectory("mminterp-st-").FullName, "t.safetensors");

    /// <summary>A file with the given header text and data, as another writer (HF, a corrupt copy) would leave it.</summary>
    internal static void Craft(string path, string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void RoundTripsWithMetadataAndPyBridgeReadsOurFiles()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        var tensors = new Dictionary<string, Tensor> { ["a.weight"] = randn(3, 4), ["b"] = tensor(new long[] { 1, -2, 3 }), ["s"] = tensor(2.5f), ["empty"] = zeros(0, 3) };
        SafeTensors.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ü \"quoted\"" });
        var (back, meta) = SafeTensors.Load(path);
        Assert.Equal(tensors.Keys.Order(), back.Keys.Order());
        foreach (var (k, v) in tensors) Assert.True(Same.Values(back[k], v) && back[k].dtype == v.dtype, k);
        Assert.Equal("ü \"quoted\"", meta["note"]);
        Assert.True(Same.Values(SafeTensors.LoadOne(path, "b", out var header), tensors["b"]));
        Assert.Equal("pt", header.Metadata["format"]);
        // An independent reader of the format agrees.
        var py = TorchSharp.PyBridge.Safetensors.LoadStateDict(path);
        Assert.True(Same.Values(py["a.weight"], tensors["a.weight"]));
    }

    [Fact]
    public void SavesSortedByNameSoTheSameStateGivesTheSameBytes()
    {
        // Checkpoints are cached by content hash: this pins the layout byte for byte.
        using var scope = NewDisposeScope();
        var path = TempFile();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["z"] = tensor(new long[] { 1, 2 }), ["a"] = tensor(new[] { 1f }) },
            new Dictionary<string, string> { ["format"] = "pt" });
        const string Header = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"z":{"dtype":"I64","shape":[2],"data_offsets":[4,20]}}""";
        var padded = Header.PadRight((Header.Length + 7) / 8 * 8);
        var expected = BitConverter.GetBytes((ulong)padded.Length).Concat(Encoding.UTF8.GetBytes(padded))
            .Concat(BitConverter.GetBytes(1f)).Concat(BitConverter.GetBytes(1L)).Concat(BitConverter.GetBytes(2L));
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void ReadsEveryHuggingFaceDTypeWidenedToFloat32Int64OrBool()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        ushort Bf16(float x) => (ushort)(BitConverter.SingleToInt32Bits(x) >> 16);
        var parts = new (string Name, string DType, byte[] Bytes)[]
        {
            ("f64", "F64", [.. BitConverter.GetBytes(0.1), .. BitConverter.GetBytes(-3.0)]),
            ("f16", "F16", [.. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-2.25f))]),
            ("bf16", "BF16", [.. BitConverter.GetBytes(Bf16(3f)), .. BitConverter.GetBytes(Bf16(-0.5f))]),
            ("i32", "I32", [.. BitConverter.GetBytes(-7), .. BitConverter.GetBytes(int.MaxValue)]),
            ("i16", "I16", [.. BitConverter.GetBytes((short)-3), .. BitConverter.GetBytes((short)300)]),
            ("i8", "I8", [0x80, 0x7F]),
            ("u8", "U8", [0xFF, 0x01]),
            ("bool", "BOOL", [0x00, 0x02]),
        };
        var header = new StringBuilder("""{"__metadata__":{"format":"pt"}""");
        long offset = 0;
        foreach (var (name, dtype, bytes) in parts)
        {
            header.Append($$""","{{name}}":{"dtype":"{{dtype}}","shape":[2],"data_offsets":[{{offset}},{{offset + bytes.Length}}]}""");
            offset += bytes.Length;
        }
        Craft(path, header.Append('}').ToString(), parts.SelectMany(p => p.Bytes).ToArray());

        var (t, meta) = SafeTensors.Load(path);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal([0.1f, -3f], t["f64"].data<float>().ToArray());
        Assert.Equal([1.5f, -2.25f], t["f16"].data<float>().ToArray());
        Assert.Equal([3f, -0.5f], t["bf16"].data<float>().ToArray());
        Assert.Equal([-7L, int.MaxValue], t["i32"].data<long>().ToArray());
        Assert.Equal([-3L, 300], t["i16"].data<long>().ToArray());
        Assert.Equal([-128L, 127], t["i8"].data<long>().ToArray());
        Assert.Equal([255L, 1], t["u8"].data<long>().ToArray());
        Assert.Equal([false, true], t["bool"].data<bool>().ToArray());
        Assert.Equal([3f, -0.5f], SafeTensors.LoadOne(path, "bf16", out _).data<float>().ToArray());
    }

    [Fact]
    public void TruncatedFilesNameTheFileAndTheTensor()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["a"] = zeros(10), ["z.last"] = zeros(100) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("z.last", e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, bytes[..20]);
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.Contains("header claims", e.Message);
        File.WriteAllBytes(path, bytes[..5]);
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.ReadHeader(path));
        Assert.Contains("too short", e.Message);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""", "header is not valid JSON")]
    [InlineData("""[1,2]""", "header is not a JSON object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "header is not valid JSON")]
    [InlineData("""{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}""", "tensor 'a' has unsupported dtype Q7")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "tensor 'a' has bad data_offsets [8,0]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "tensor 'a' spans 8 bytes but F32[3] needs 12")]
    [InlineData("""{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}""", "entry for tensor 'a' is malformed ('shape'")]
    [InlineData("""{"a":{"shape":[2],"data_offsets":[0,8]}}""", "entry for tensor 'a' is malformed (no string 'dtype')")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2,-1],"data_offsets":[0,8]}}""", "entry for tensor 'a' is malformed (negative dimension")]
    [InlineData("""{"a":7}""", "entry for tensor 'a' is malformed (not a JSON object)")]
    [InlineData("""{"__metadata__":{"n":1}}""", "__metadata__ entry 'n' is not a string")]
    public void BadHeadersAreNamedWithTheFile(string header, string problem)
    {
        var path = TempFile();
        Craft(path, header, new byte[8]);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void LoadOneNamesAMissingTensor()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["rows"] = zeros(2, 2) });
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.LoadOne(path, "cols", out _));
        Assert.Contains(path, e.Message);
        Assert.Contains("no tensor named 'cols' (it holds rows)", e.Message);
    }

    [Fact]
    public void AnUnwritableTensorLeavesTheStoredFileAsItWas()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = ones(3) });
        var before = File.ReadAllBytes(path);
        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = zeros(3), ["h"] = ones(3, dtype: int32) }));
        Assert.Contains("tensor 'h'", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
