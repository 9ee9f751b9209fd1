using System.Text;
using System.Text.Json.Nodes;
using MMInterp.Kernels.Text;
using Xunit;

namespace MMInterp.Kernels.Tests.Text;

/// <summary>Qwen2's byte-level BPE against openai/gpt-2's encoder.py (its bpe() and byte map, Qwen2's split regex)
/// on a vocabulary trained for the test: unicode, emoji, whitespace runs, contractions, ChatML's added tokens.</summary>
public sealed class ByteLevelBpeTextTokenizerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-bbpe-").FullName;
    static readonly JsonObject Golden = TokenizerGolden.Read("qwen2_goldens.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<int> Cases() => new(Enumerable.Range(0, Golden["strings"]!.AsArray().Count));

    static JsonNode Case(int i) => Golden["strings"]![i]!;

    /// <summary>The project runs with InvariantGlobalization, under which .NET's string.Normalize leaves text as it is
    /// (no ICU), so NFC composes nothing; the tokeniser then sees decomposed text as written.</summary>
    static readonly bool RuntimeComposes = "e\u0301".Normalize(NormalizationForm.FormC).Length == 1;

    [Theory, MemberData(nameof(Cases))]
    public void EncodesAsGpt2sEncoderWithQwen2sRegex(int i)
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.Qwen2Dir);
        var golden = TokenizerGolden.Ids(Case(i)["ids"]);
        // Python's NFC of the text: what the BPE must give on composed text whatever the runtime can normalise
        Assert.Equal(golden, tok.Encode(Case(i)["nfc"]!.GetValue<string>()));
        var text = Case(i)["text"]!.GetValue<string>();
        if (RuntimeComposes || text == Case(i)["nfc"]!.GetValue<string>()) Assert.Equal(golden, tok.Encode(text));
    }

    [Theory, MemberData(nameof(Cases))]
    public void DecodesBackToTheText(int i)
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.Qwen2Dir);
        var text = Case(i)["text"]!.GetValue<string>();
        var ids = tok.Encode(text);
        Assert.Equal(RuntimeComposes ? Case(i)["nfc"]!.GetValue<string>() : text, tok.Decode(ids));
        text = Case(i)["nfc"]!.GetValue<string>();
        ids = tok.Encode(text);
        var plain = ids.Where(id => id < tok.ModelVocabSize).ToArray();
        Assert.Equal(Case(i)["gpt2_decoded"]!.GetValue<string>(), tok.Decode(plain));
    }

    [Fact]
    public void ReadsAddedTokensAndHasNoBos()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.Qwen2Dir);
        var added = Golden["added"]!.AsObject();
        Assert.Equal("byte-level-bpe", tok.Kind);
        Assert.Equal(Golden["vocab_size"]!.GetValue<int>(), tok.ModelVocabSize);
        Assert.Equal(added["<image>"]!.GetValue<int>(), tok.ImageTokenId);
        Assert.Equal(added["<|im_end|>"]!.GetValue<int>(), tok.EosId);
        Assert.Equal(added["<|endoftext|>"]!.GetValue<int>(), tok.PadId);
        Assert.Null(tok.BosId);
        Assert.False(tok.AddBos);
        Assert.Equal("hi", tok.Decode(tok.Encode("<|im_start|>hi<|im_end|>"), skipSpecialTokens: true));
        Assert.Equal("Ġthe", tok.TokenText(tok.Encode(" the")[0]));
    }

    [Fact]
    public void BadIdsAndBadFilesAreOneLineErrors()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.Qwen2Dir);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([tok.VocabSize]));
        Assert.Contains($"token id {tok.VocabSize} is outside the vocabulary", e.Message);

        var dir = TokenizerGolden.CopyOf(TokenizerGolden.Qwen2Dir, Path.Combine(_dir, "broken"));
        var path = Path.Combine(dir, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();

        json["model"]!["type"] = "Unigram";
        File.WriteAllText(path, json.ToJsonString());
        Assert.Contains("model.type is 'Unigram'", Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(dir)).Message);

        json["model"]!["type"] = "BPE";
        json["model"]!["merges"]![0] = "onlyone";
        File.WriteAllText(path, json.ToJsonString());
        Assert.Contains("model.merges[0] is neither", Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(dir)).Message);

        File.WriteAllText(path, "{\"model\": ");
        Assert.Contains("tokenizer.json: not valid JSON", Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(dir)).Message);

        File.Delete(path);
        Assert.Contains("tokenizer_class Qwen2Tokenizer needs tokenizer.json",
                        Assert.Throws<FileNotFoundException>(() => TokenizerDirectory.Load(dir)).Message);
    }

    [Fact]
    public void MergesAsPairsReadAsStrings()
    {
        var dir = TokenizerGolden.CopyOf(TokenizerGolden.Qwen2Dir, Path.Combine(_dir, "pairs"));
        var path = Path.Combine(dir, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var merges = json["model"]!["merges"]!.AsArray();
        var pairs = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(m!.GetValue<string>().Split(' ').Select(s => (JsonNode)JsonValue.Create(s)!).ToArray())).ToArray());
        json["model"]!["merges"] = pairs;
        File.WriteAllText(path, json.ToJsonString());
        var text = "What is shown in this picture?";
        Assert.Equal(TokenizerDirectory.Load(TokenizerGolden.Qwen2Dir).Encode(text), TokenizerDirectory.Load(dir).Encode(text));
    }
}
