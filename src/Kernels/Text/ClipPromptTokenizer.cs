using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Text;

/// <summary>
/// A diffusers pipeline's tokenizer/ (or tokenizer_2/) folder as its pipeline calls it: CLIP's BPE
/// (<see cref="ClipBpeTokenizer"/> over vocab.json + merges.txt), padding="max_length" to model_max_length (77) with
/// truncation (the end marker kept), padded with tokenizer_config.json's / special_tokens_map.json's pad_token: SD1's
/// tokenizer pads with &lt;|endoftext|&gt;, SD2's and SDXL's tokenizer_2 with "!" (id 0).
/// </summary>
public sealed class ClipPromptTokenizer
{
    public const int DefaultMaxLength = 77;
    public static readonly string[] Files = ["vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"];

    public ClipPromptTokenizer(ClipBpeTokenizer bpe, int maxLength, int padId)
    {
        if (maxLength < 2) throw new ArgumentException($"model_max_length must be at least 2, got {maxLength}", nameof(maxLength));
        if (padId < 0 || padId >= bpe.VocabSize) throw new ArgumentException($"pad id {padId} is not in the vocabulary", nameof(padId));
        Bpe = bpe;
        MaxLength = maxLength;
        PadId = padId;
    }

    public ClipBpeTokenizer Bpe { get; }
    public int MaxLength { get; }
    public int PadId { get; }

    /// <summary>Reads vocab.json + merges.txt and the padding settings; every problem is one line naming the file.</summary>
    public static ClipPromptTokenizer Load(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"tokenizer directory not found: {directory}");
        var bpe = ClipBpeTokenizer.FromFiles(Path.Combine(directory, "vocab.json"), Path.Combine(directory, "merges.txt"));
        var side = HfTokenizerConfig.Read(directory);
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        var maxLength = DefaultMaxLength;
        if (File.Exists(configPath) && HfTokenizerConfig.ReadObject(configPath)["model_max_length"] is JsonValue v)
        {
            // transformers writes a huge sentinel (1e30) when the length is unknown: CLIP's 77 is then the only sane one.
            if (v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<double>(out var d) || d != Math.Floor(d) || d < 2)
                throw new InvalidDataException($"{configPath}: model_max_length must be an integer of at least 2, got {v.ToJsonString()}");
            if (d <= 1 << 20) maxLength = (int)d;
        }
        var pad = side.PadToken ?? ClipBpeTokenizer.EndOfText;
        if (!bpe.Vocab.TryGetValue(pad, out var padId))
            throw new InvalidDataException($"{directory}: pad_token '{pad}' is not in vocab.json");
        return new ClipPromptTokenizer(bpe, maxLength, padId);
    }

    /// <summary>[B, MaxLength] int64 ids: start marker, the text's tokens (cut to fit), end marker, padding.</summary>
    public Tensor Encode(IReadOnlyList<string> prompts, Device? device = null)
    {
        var data = new long[prompts.Count * MaxLength];
        Array.Fill(data, PadId);
        for (var i = 0; i < prompts.Count; i++)
        {
            var ids = Bpe.Encode(prompts[i]);
            if (ids.Length > MaxLength) { ids = ids[..MaxLength]; ids[^1] = Bpe.EndId; }
            for (var j = 0; j < ids.Length; j++) data[i * MaxLength + j] = ids[j];
        }
        return tensor(data, [prompts.Count, MaxLength], device: device);
    }

    /// <summary>Writes vocab.json, merges.txt and a tokenizer_config.json with this padding (tests, tiny pipelines).</summary>
    public void Save(string directory)
    {
        Bpe.Save(directory);
        var pad = Bpe.Vocab.First(kv => kv.Value == PadId).Key;
        var config = new JsonObject
        {
            ["tokenizer_class"] = "CLIPTokenizer", ["model_max_length"] = MaxLength, ["pad_token"] = pad,
            ["bos_token"] = ClipBpeTokenizer.StartOfText, ["eos_token"] = ClipBpeTokenizer.EndOfText, ["do_lower_case"] = true,
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
