using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace MMInterp.Kernels.Tests.Fuzz;

/// <summary>
/// A seeded generator of hostile reader input: JSON values a careless or malicious writer could put where a number,
/// string, array or object belongs; safetensors files built from a small grammar (header entries with dtype, shape and
/// data_offsets drawn from valid and invalid choices) then mutated at the byte level; and byte-level damage to any
/// file (flips, truncation, splices, huge length fields).
/// </summary>
internal sealed class HostileInputs(int seed)
{
    readonly Random _r = new(seed);

    public int Next(int max) => _r.Next(max);
    public bool Chance(double p) => _r.NextDouble() < p;
    public T Pick<T>(IReadOnlyList<T> items) => items[_r.Next(items.Count)];

    static readonly string[] Numbers =
    [
        "0", "-1", "1", "2", "3", "7", "8", "16", "224", "-0", "0.5", "2.5", "1e-5", "-1e-5", "1e400", "-1e400", "1e-400", "1e18", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "2147483647", "2147483648", "-2147483648", "4294967296", "1e9", "1E+300", "123456789012345678901234567890",
    ];

    static readonly string[] Strings = ["\"\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"abc\"", "\"F32\"", "\"I32\"", "\"\\u0000\"", "\"\\ud800\"", "\"quick_gelu\"", "\"gelu\"", "\"clip\"", "\"a\\nb\""];

    /// <summary>A JSON value of any kind: numbers at and beyond every limit, strings that look like numbers, nesting.</summary>
    public string Value(int depth = 0) => _r.Next(depth > 2 ? 3 : 6) switch
    {
        0 => Pick(Numbers),
        1 => Pick(Strings),
        2 => Pick(["true", "false", "null"]),
        3 => "[" + string.Join(",", Enumerable.Range(0, _r.Next(4)).Select(_ => Value(depth + 1))) + "]",
        4 => "{" + string.Join(",", Enumerable.Range(0, _r.Next(3)).Select(i => $"\"k{i}\":{Value(depth + 1)}")) + "}",
        _ => _r.Next(2) == 0 ? new string('[', 200) + new string(']', 200) : Pick(Numbers),
    };

    /// <summary>A JSON object whose named fields hold either a plausible value or a hostile one.</summary>
    public string Object(IReadOnlyList<(string Key, Func<string> Plausible)> fields, double hostile = 0.3)
    {
        var parts = new List<string>();
        foreach (var (key, plausible) in fields)
        {
            if (Chance(0.15)) continue; // omitted: the reader's default applies
            parts.Add($"\"{key}\":{(Chance(hostile) ? Value() : plausible())}");
            if (Chance(0.03)) parts.Add($"\"{key}\":{Value()}"); // a duplicate key
        }
        return "{" + string.Join(",", parts) + "}";
    }

    // ---- safetensors ----

    static readonly string[] DTypes = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"];
    static readonly Dictionary<string, int> Sizes = new() { ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["F64"] = 8, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1 };

    /// <summary>A safetensors file: mostly well-formed headers with some entries bent, over random data.</summary>
    public byte[] SafeTensorsFile(IReadOnlyList<string>? names = null)
    {
        names ??= Enumerable.Range(0, 1 + _r.Next(4)).Select(i => Pick(["weight", "bias", "a", "b.c", "", "__metadata__x", "w\u00e9", "a\\nb"]) + i).ToList();
        var header = new StringBuilder("{");
        if (Chance(0.3)) header.Append(Chance(0.7) ? "\"__metadata__\":{\"format\":\"pt\"}," : $"\"__metadata__\":{Value()},");
        long offset = 0;
        foreach (var name in names)
        {
            var dtype = Chance(0.9) ? Pick(DTypes) : Pick(["Q7", "f32", "", "F8_E4M3"]);
            var shape = Enumerable.Range(0, _r.Next(3)).Select(_ => (long)_r.Next(5)).ToArray();
            var bytes = shape.Aggregate(1L, (a, b) => a * b) * Sizes.GetValueOrDefault(dtype, 4);
            var begin = offset;
            var end = offset + bytes;
            var shapeText = "[" + string.Join(",", shape) + "]";
            var offsetsText = $"[{begin},{end}]";
            switch (_r.Next(14))
            {
                case 0: shapeText = Value(); break;
                case 1: offsetsText = Value(); break;
                case 2: offsetsText = $"[{end},{begin}]"; break;
                case 3: offsetsText = $"[{Math.Max(0, begin - 4)},{Math.Max(0, begin - 4) + bytes}]"; break; // overlaps the previous one
                case 4: shapeText = "[1000000000000,1000000000000]"; break;
                case 5: offsetsText = $"[{begin},{long.MaxValue}]"; break;
                case 6: shapeText = "[-1," + string.Join(",", shape) + "]"; break;
                case 7: offsetsText = $"[{begin},{end},{end}]"; break;
            }
            header.Append(CultureInfo.InvariantCulture, $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shapeText},\"data_offsets\":{offsetsText}}},");
            offset = end;
        }
        if (header[^1] == ',') header.Length--;
        header.Append('}');
        var json = Encoding.UTF8.GetBytes(header.ToString());
        var data = new byte[Math.Max(0, offset + (Chance(0.1) ? _r.Next(16) : 0))];
        _r.NextBytes(data);
        var file = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        data.CopyTo(file, 8 + json.Length);
        return Chance(0.5) ? Damage(file) : file;
    }

    /// <summary>Byte-level damage: flipped bytes, truncation, a spliced-in run, a huge or wrong length prefix, or noise.</summary>
    public byte[] Damage(byte[] file)
    {
        var b = (byte[])file.Clone();
        switch (_r.Next(7))
        {
            case 0:
                for (var i = 0; i < 1 + _r.Next(4) && b.Length > 0; i++) b[_r.Next(b.Length)] ^= (byte)(1 << _r.Next(8));
                return b;
            case 1: return b[..(b.Length == 0 ? 0 : _r.Next(b.Length))];
            case 2:
            {
                var at = _r.Next(b.Length + 1);
                var run = new byte[1 + _r.Next(32)];
                _r.NextBytes(run);
                return [.. b[..at], .. run, .. b[at..]];
            }
            case 3:
                if (b.Length >= 8) BinaryPrimitives.WriteUInt64LittleEndian(b, Pick([ulong.MaxValue, (ulong)long.MaxValue, 0UL, 1UL, (ulong)b.Length, (ulong)b.Length - 8, 100_000_001UL]));
                return b;
            case 4:
                var noise = new byte[_r.Next(64)];
                _r.NextBytes(noise);
                return noise;
            case 5: return b.Length > 16 ? [.. b[..(b.Length / 2)], .. b[..(b.Length / 2)]] : b;
            default:
                if (b.Length > 4) b[_r.Next(b.Length)] = Pick([(byte)0, (byte)0xFF, (byte)'{', (byte)'"', (byte)0x80]);
                return b;
        }
    }
}
