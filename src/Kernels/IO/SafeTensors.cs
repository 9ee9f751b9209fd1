using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.IO;

/// <summary>
/// The safetensors format, written by hand (8-byte little-endian header length, JSON header, raw little-endian data)
/// so that writes can go through <see cref="AtomicFile"/> and reads can validate shape/length and name the file in errors.
/// Supports F32 and I64, the only dtypes the kernels store.
/// </summary>
public static class SafeTensors
{
    public static void Save(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        var cpu = new List<Tensor>();
        long offset = 0;
        foreach (var (name, t) in tensors)
        {
            var c = t.detach().cpu().contiguous();
            var dtype = c.dtype switch
            {
                ScalarType.Float32 => "F32",
                ScalarType.Int64 => "I64",
                _ => throw new ArgumentException($"tensor '{name}': dtype {c.dtype} is not supported by this writer"),
            };
            long bytes = c.numel() * c.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(c.shape.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
            cpu.Add(c);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // Pad the header with spaces to 8 bytes so the data start is aligned (allowed by the format).
        int pad = (8 - json.Length % 8) % 8;
        AtomicFile.Write(path, s =>
        {
            s.Write(BitConverter.GetBytes((ulong)(json.Length + pad)));
            s.Write(json);
            for (int i = 0; i < pad; i++) s.WriteByte((byte)' ');
            foreach (var c in cpu)
                if (c.numel() > 0) s.Write(NativeTensor.ByteSpan(c));
        });
        foreach (var c in cpu) c.Dispose();
    }

    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    public sealed class Header
    {
        public required Dictionary<string, Entry> Entries { get; init; }
        public required Dictionary<string, string> Metadata { get; init; }
        public required long DataStart { get; init; }
    }

    public static Header ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        return ReadHeader(fs, path);
    }

    private static Header ReadHeader(FileStream fs, string path)
    {
        var lenBytes = new byte[8];
        if (fs.Read(lenBytes) != 8) throw new InvalidDataException($"'{path}': truncated safetensors file (no header length)");
        ulong len = BitConverter.ToUInt64(lenBytes);
        if (len == 0 || len > 100_000_000 || (long)len > fs.Length - 8)
            throw new InvalidDataException($"'{path}': bad safetensors header length {len} for a file of {fs.Length} bytes");
        var json = new byte[len];
        fs.ReadExactly(json);
        JsonObject root;
        try { root = JsonNode.Parse(json)!.AsObject(); }
        catch (JsonException e) { throw new InvalidDataException($"'{path}': safetensors header is not valid JSON: {e.Message}"); }
        var entries = new Dictionary<string, Entry>();
        var meta = new Dictionary<string, string>();
        long dataStart = 8 + (long)len, dataLen = fs.Length - dataStart;
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) meta[k] = v!.GetValue<string>();
                continue;
            }
            var o = node!.AsObject();
            var dtype = o["dtype"]!.GetValue<string>();
            var shape = o["shape"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
            var offs = o["data_offsets"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
            long elem = dtype switch { "F32" => 4, "I64" => 8, _ => throw new InvalidDataException($"'{path}': tensor '{name}' has unsupported dtype {dtype}") };
            long expect = shape.Aggregate(1L, (a, b) => a * b) * elem;
            if (offs.Length != 2 || offs[1] - offs[0] != expect)
                throw new InvalidDataException($"'{path}': tensor '{name}' shape [{string.Join(",", shape)}] does not match its byte range");
            if (offs[1] > dataLen)
                throw new InvalidDataException($"'{path}': truncated: tensor '{name}' ends at byte {offs[1]} but the data section has {dataLen}");
            entries[name] = new Entry(name, dtype, shape, offs[0], offs[1]);
        }
        return new Header { Entries = entries, Metadata = meta, DataStart = dataStart };
    }

    /// <summary>Loads every tensor (CPU) plus the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path)
    {
        using var fs = File.OpenRead(path);
        var h = ReadHeader(fs, path);
        var result = new Dictionary<string, Tensor>();
        foreach (var e in h.Entries.Values) result[e.Name] = ReadEntry(fs, h, e, path);
        return (result, h.Metadata);
    }

    public static Tensor LoadOne(string path, string name, out Header header)
    {
        using var fs = File.OpenRead(path);
        header = ReadHeader(fs, path);
        if (!header.Entries.TryGetValue(name, out var e)) throw new InvalidDataException($"'{path}': no tensor named '{name}'");
        return ReadEntry(fs, header, e, path);
    }

    private static Tensor ReadEntry(FileStream fs, Header h, Entry e, string path)
    {
        var t = empty(e.Shape, e.DType == "F32" ? ScalarType.Float32 : ScalarType.Int64);
        if (t.numel() == 0) return t;
        fs.Seek(h.DataStart + e.Begin, SeekOrigin.Begin);
        var span = NativeTensor.ByteSpan(t);
        int got = fs.ReadAtLeast(span, span.Length, throwOnEndOfStream: false);
        if (got != span.Length) { t.Dispose(); throw new InvalidDataException($"'{path}': truncated data for tensor '{e.Name}'"); }
        return t;
    }
}
