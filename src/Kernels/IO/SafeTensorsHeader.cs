using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Kernels.IO;

/// <summary>One tensor's entry in a safetensors header; Begin/End are offsets into the data section.</summary>
public sealed record SafeTensorsEntry(string Name, string DType, long[] Shape, long Begin, long End);

/// <summary>
/// A parsed and checked safetensors header (8-byte little-endian length, then JSON). Every defect raises an
/// <see cref="InvalidDataException"/> naming the file and, where there is one, the tensor.
/// </summary>
public sealed record SafeTensorsHeader(Dictionary<string, SafeTensorsEntry> Entries, Dictionary<string, string> Metadata, long DataStart)
{
    // The format's own limit; it also keeps a corrupt length from allocating gigabytes.
    private const ulong MaxHeaderBytes = 100_000_000;

    internal static SafeTensorsHeader Read(Stream stream, string path)
    {
        var length = stream.Length;
        if (length < 8) throw new InvalidDataException($"{path}: {length} bytes is too short for a safetensors file (truncated?)");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8))
            throw new InvalidDataException($"{path}: header claims {headerLength} bytes but the file holds {length - 8} after the prefix (truncated or not safetensors)");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: header claims {headerLength} bytes, more than the format's limit of {MaxHeaderBytes} (not safetensors?)");
        var json = new byte[headerLength];
        stream.ReadExactly(json);
        var root = ParseRoot(path, json);
        var dataStart = 8 + (long)headerLength;
        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, node) in root)
            {
                if (name.Any(char.IsControl)) throw new InvalidDataException($"{path}: tensor name {JsonFiles.Quote(name)} holds control characters");
                if (name == "__metadata__") ReadMetadata(path, node, metadata);
                else entries[name] = ReadEntry(path, name, node, length - dataStart);
            }
        }
        catch (InvalidOperationException e)
        {
            // A string JSON allows but text does not (a lone surrogate escape such as "\ud800").
            throw new InvalidDataException($"{path}: header holds a string that is not valid text ({JsonFiles.Line(e.Message)})", e);
        }
        CheckLayout(path, entries.Values, length - dataStart);
        return new SafeTensorsHeader(entries, metadata, dataStart);
    }

    /// <summary>
    /// As the format's reference reader requires: the tensors, in offset order, tile the data section exactly, each
    /// starting where the previous ended and the last ending at the end of the file. Overlapping tensors (one byte
    /// read as two weights), gaps and trailing bytes all mean the header does not describe this file.
    /// </summary>
    private static void CheckLayout(string path, IEnumerable<SafeTensorsEntry> entries, long dataLength)
    {
        long end = 0;
        string? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < end)
                throw new InvalidDataException($"{path}: tensor '{e.Name}' starts at data byte {e.Begin}, inside '{previous}' (which ends at {end}): data_offsets overlap");
            if (e.Begin > end)
                throw new InvalidDataException($"{path}: tensor '{e.Name}' starts at data byte {e.Begin} but {(previous is null ? "the data starts at 0" : $"'{previous}' ends at {end}")}: a gap in data_offsets");
            end = e.End;
            previous = e.Name;
        }
        if (end != dataLength)
            throw new InvalidDataException($"{path}: the tensors cover {end} data bytes but the file holds {dataLength} (trailing bytes: not the file its header describes)");
    }

    private static JsonObject ParseRoot(string path, byte[] json)
    {
        // JsonNode transcodes strings lazily: invalid UTF-8 would otherwise surface as an InvalidOperationException mid-read.
        if (!System.Text.Unicode.Utf8.IsValid(json)) throw new InvalidDataException($"{path}: header is not valid UTF-8 (not safetensors?)");
        try
        {
            var root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{path}: header is not a JSON object");
            _ = root.Count; // JsonObject parses its members lazily; duplicate names surface here, not mid-loop
            return root;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON ({JsonFiles.Line(e.Message)})", e);
        }
    }

    private static void ReadMetadata(string path, JsonNode? node, Dictionary<string, string> into)
    {
        if (node is not JsonObject meta) throw new InvalidDataException($"{path}: __metadata__ is not a JSON object");
        foreach (var (key, value) in meta)
            into[key] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : throw new InvalidDataException($"{path}: __metadata__ entry '{key}' is not a string (the format allows only strings)");
    }

    private static SafeTensorsEntry ReadEntry(string path, string name, JsonNode? node, long dataLength)
    {
        InvalidDataException Malformed(string why) => new($"{path}: header entry for tensor '{name}' is malformed ({why})");
        if (node is not JsonObject o) throw Malformed("not a JSON object");
        var dtype = o["dtype"] is JsonValue d && d.TryGetValue<string>(out var s) ? s : throw Malformed("no string 'dtype'");
        var shape = Integers(o["shape"]) ?? throw Malformed("'shape' is not an array of integers");
        var offsets = Integers(o["data_offsets"]) ?? throw Malformed("'data_offsets' is not an array of integers");
        if (!SafeTensorsDTypes.TryElementSize(dtype, out var size))
            throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype} (supported: {SafeTensorsDTypes.Supported})");
        if (shape.Any(n => n < 0)) throw Malformed($"negative dimension in shape [{string.Join(",", shape)}]");
        if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
            throw new InvalidDataException($"{path}: tensor '{name}' has bad data_offsets [{string.Join(",", offsets)}] (need [begin, end], 0 <= begin <= end)");
        if (offsets[1] > dataLength)
            throw new InvalidDataException($"{path}: tensor '{name}' ends at data byte {offsets[1]} but the file holds only {dataLength} data bytes (truncated?)");
        long expected;
        try { expected = checked(shape.Aggregate(1L, (a, b) => a * b) * size); }
        catch (OverflowException) { throw Malformed($"shape [{string.Join(",", shape)}] is too large"); }
        if (offsets[1] - offsets[0] != expected)
            throw new InvalidDataException($"{path}: tensor '{name}' spans {offsets[1] - offsets[0]} bytes but {dtype}[{string.Join(",", shape)}] needs {expected}");
        return new SafeTensorsEntry(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[]? Integers(JsonNode? node)
    {
        if (node is not JsonArray array) return null;
        var values = new long[array.Count];
        for (var i = 0; i < values.Length; i++)
            if (array[i] is not JsonValue v || !v.TryGetValue(out values[i])) return null;
        return values;
    }
}
