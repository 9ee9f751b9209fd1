using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Tensors;
using static TorchSharp.torch;

namespace MMInterp.Kernels.IO;

/// <summary>
/// The safetensors format, written by hand (8-byte little-endian header length, JSON header, raw little-endian data)
/// so that writes go through <see cref="AtomicFile"/> and reads validate everything and name the file in errors.
/// Reads every dtype HF checkpoints use (<see cref="SafeTensorsDTypes"/>); writes float32 and int64.
/// Tensor data moves between files and native tensor memory directly, without managed copies.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes the tensors sorted by name (ordinal), so the same state gives the same bytes and sha256 whatever the
    /// dictionary's order; the header is padded with spaces to 8 bytes so the data starts aligned.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var json = Encoding.UTF8.GetBytes(HeaderJson(ordered, metadata).ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, s =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
            s.Write(prefix);
            s.Write(json);
            for (var i = json.Length; i < padded; i++) s.WriteByte((byte)' ');
            foreach (var (_, t) in ordered)
            {
                // One CPU copy at a time (none for CPU contiguous tensors), so a GPU model is not duplicated in host memory.
                using var scope = NewDisposeScope();
                var c = t.detach().cpu().contiguous();
                if (c.numel() > 0) s.Write(NativeTensor.ByteSpan(c));
            }
        });
    }

    private static JsonObject HeaderJson(List<KeyValuePair<string, Tensor>> ordered, IReadOnlyDictionary<string, string>? metadata)
    {
        var header = new JsonObject();
        if (metadata is not null)
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        foreach (var (name, t) in ordered)
        {
            var dtype = SafeTensorsDTypes.ForWrite(name, t);
            var bytes = t.numel() * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.shape.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + bytes)),
            };
            offset += bytes;
        }
        return header;
    }

    public static SafeTensorsHeader ReadHeader(string path)
    {
        using var stream = Open(path);
        return SafeTensorsHeader.Read(stream, path);
    }

    /// <summary>Every tensor (floats as float32, integers as int64, on <paramref name="device"/> or the CPU) and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Load(string path, Device? device = null)
    {
        using var stream = Open(path);
        var header = SafeTensorsHeader.Read(stream, path);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in header.Entries.Values.OrderBy(e => e.Begin)) tensors[e.Name] = ReadTensor(stream, header, e, path, device);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (tensors, header.Metadata);
    }

    /// <summary>One tensor, reading only its bytes (activation shards hold one large tensor).</summary>
    public static Tensor LoadOne(string path, string name, out SafeTensorsHeader header, Device? device = null)
    {
        using var stream = Open(path);
        header = SafeTensorsHeader.Read(stream, path);
        if (!header.Entries.TryGetValue(name, out var e))
            throw new InvalidDataException($"{path}: no tensor named '{name}' (it holds {string.Join(", ", header.Entries.Keys.Take(5))}{(header.Entries.Count > 5 ? ", ..." : "")})");
        return ReadTensor(stream, header, e, path, device);
    }

    private static FileStream Open(string path) =>
        File.Exists(path) ? File.OpenRead(path) : throw new FileNotFoundException($"safetensors file not found: {path}", path);

    private static Tensor ReadTensor(Stream stream, SafeTensorsHeader header, SafeTensorsEntry e, string path, Device? device)
    {
        using var scope = NewDisposeScope();
        var raw = empty(e.Shape, SafeTensorsDTypes.StoredAs(e.DType));
        if (raw.numel() > 0)
        {
            stream.Seek(header.DataStart + e.Begin, SeekOrigin.Begin);
            var span = NativeTensor.ByteSpan(raw);
            if (stream.ReadAtLeast(span, span.Length, throwOnEndOfStream: false) != span.Length)
                throw new InvalidDataException($"{path}: tensor '{e.Name}' is cut short (truncated while being read?)");
        }
        var t = SafeTensorsDTypes.Widen(e.DType, raw);
        return (device is null ? t : t.to(device)).MoveToOuterDisposeScope();
    }
}
