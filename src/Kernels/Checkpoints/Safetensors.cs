using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw data).
/// Every defect is reported with the file and the tensor it concerns.</summary>
public static class Safetensors
{
    static readonly Dictionary<string, int> ElementSize = new()
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Parses and checks the header: offsets inside the file, sizes matching dtype and shape.</summary>
    public static (IReadOnlyDictionary<string, SafetensorsEntry> Entries, long DataStart) ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var stream = File.OpenRead(path);
        var length = stream.Length;
        if (length < 8) throw new InvalidDataException($"{path}: {length} bytes is too short for a safetensors file (truncated?)");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8)) throw new InvalidDataException($"{path}: header claims {headerLength} bytes but the file holds {length - 8} after the prefix (truncated or not safetensors)");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        JsonObject root;
        try { root = JsonNode.Parse(header)?.AsObject() ?? throw new InvalidDataException($"{path}: empty header"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message})"); }
        var dataStart = 8 + (long)headerLength;
        var dataLength = length - dataStart;
        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__") continue;
            try
            {
                var dtype = node!["dtype"]!.GetValue<string>();
                var shape = node["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray();
                if (!ElementSize.TryGetValue(dtype, out var size)) throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype}");
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) throw new InvalidDataException($"{path}: tensor '{name}' has bad data_offsets");
                if (offsets[1] > dataLength) throw new InvalidDataException($"{path}: tensor '{name}' ends at data byte {offsets[1]} but the file holds only {dataLength} data bytes (truncated?)");
                var expected = shape.Aggregate(1L, (a, b) => a * b) * size;
                if (offsets[1] - offsets[0] != expected) throw new InvalidDataException($"{path}: tensor '{name}' spans {offsets[1] - offsets[0]} bytes but {dtype}[{string.Join(",", shape)}] needs {expected}");
                entries[name] = new SafetensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: header entry for tensor '{name}' is malformed ({e.Message})");
            }
        }
        return (entries, dataStart);
    }

    /// <summary>Loads every tensor; floating types become float32 (the models run in fp32), integers int64.</summary>
    public static Dictionary<string, Tensor> Load(string path, Device? device = null)
    {
        var (entries, dataStart) = ReadHeader(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var stream = File.OpenRead(path);
        foreach (var e in entries.Values.OrderBy(e => e.Begin))
        {
            var bytes = new byte[e.End - e.Begin];
            stream.Seek(dataStart + e.Begin, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
            var t = ToTensor(e, bytes);
            result[e.Name] = device is null ? t : t.to(device);
        }
        return result;
    }

    static Tensor ToTensor(SafetensorsEntry e, byte[] bytes)
    {
        var shape = e.Shape;
        switch (e.DType)
        {
            case "F32": return tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape);
            case "F64": return tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray().Select(x => (float)x).ToArray(), shape);
            case "F16": return tensor(MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(x => (float)x).ToArray(), shape);
            case "BF16":
                // bf16 is the top half of an fp32 bit pattern.
                return tensor(MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(x => BitConverter.Int32BitsToSingle(x << 16)).ToArray(), shape);
            case "I64": return tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape);
            case "I32": return tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(x => (long)x).ToArray(), shape);
            case "I16": return tensor(MemoryMarshal.Cast<byte, short>(bytes).ToArray().Select(x => (long)x).ToArray(), shape);
            case "I8": return tensor(bytes.Select(x => (long)(sbyte)x).ToArray(), shape);
            case "U8": return tensor(bytes.Select(x => (long)x).ToArray(), shape);
            case "BOOL": return tensor(bytes.Select(x => x != 0).ToArray(), shape);
            default: throw new InvalidDataException($"tensor '{e.Name}' has unsupported dtype {e.DType}");
        }
    }

    /// <summary>Writes float32 / int64 tensors (sorted by name, 8-byte aligned header) via a temp file and rename.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (dtype, bytes) = ToBytes(name, t);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes.Length)),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
            file.Write(prefix);
            file.Write(json);
            for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var b in blobs) file.Write(b);
            file.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    static (string DType, byte[] Bytes) ToBytes(string name, Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        return c.dtype switch
        {
            ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes(c.data<float>().ToArray().AsSpan()).ToArray()),
            ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes(c.data<long>().ToArray().AsSpan()).ToArray()),
            _ => throw new ArgumentException($"tensor '{name}' has dtype {c.dtype}; only float32 and int64 are written"),
        };
    }
}
