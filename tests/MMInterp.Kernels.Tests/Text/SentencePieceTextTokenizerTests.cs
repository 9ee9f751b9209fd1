using System.Text.Json.Nodes;
using MMInterp.Kernels.Text;
using Xunit;

namespace MMInterp.Kernels.Tests.Text;

/// <summary>Llama/LLaVA-1.5's tokeniser against sentencepiece itself (HF LlamaTokenizer's algorithm around it) on a
/// model trained with Llama's settings: byte fallback, whitespace runs, digits split, &lt;image&gt; as an added token.</summary>
public sealed class SentencePieceTextTokenizerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-sp-").FullName;
    static readonly JsonObject Golden = TokenizerGolden.Read("llama_goldens.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<int> Cases() => new(Enumerable.Range(0, Golden["strings"]!.AsArray().Count));

    static JsonNode Case(int i) => Golden["strings"]![i]!;

    [Theory, MemberData(nameof(Cases))]
    public void EncodesAsHfNonLegacyWithSentencePiece(int i)
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.LlamaDir);
        var text = Case(i)["text"]!.GetValue<string>();
        Assert.Equal(TokenizerGolden.Ids(Case(i)["ids"]), tok.Encode(text));
    }

    [Theory, MemberData(nameof(Cases))]
    public void EncodesAsHfLegacyWhenTheConfigSaysLegacy(int i)
    {
        var dir = TokenizerGolden.CopyOf(TokenizerGolden.LlamaDir, Path.Combine(_dir, "legacy"));
        var configPath = Path.Combine(dir, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config.Remove("legacy"); // transformers' default when the flag is missing is legacy=true
        File.WriteAllText(configPath, config.ToJsonString());
        var tok = Assert.IsType<SentencePieceTextTokenizer>(TokenizerDirectory.Load(dir));
        Assert.True(tok.Legacy);
        Assert.Equal(TokenizerGolden.Ids(Case(i)["legacy"]), tok.Encode(Case(i)["text"]!.GetValue<string>()));
    }

    [Theory, MemberData(nameof(Cases))]
    public void DecodesBackToTheTextAndAsSentencePieceDoes(int i)
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.LlamaDir);
        var text = Case(i)["text"]!.GetValue<string>();
        var ids = tok.Encode(text);
        Assert.Equal(text, tok.Decode(ids[1..]));
        // HF keeps the first text token's "▁" as a space after a leading added token such as <s>
        Assert.Equal("<s>" + (text.Length == 0 || text.StartsWith('<') ? text : " " + text), tok.Decode(ids));
        var plain = ids.Where(id => id > 2 && id < tok.ModelVocabSize).ToArray();
        Assert.Equal(Case(i)["sp_decoded"]!.GetValue<string>(), tok.Decode(plain));
    }

    [Fact]
    public void ReadsTheSpecialTokensFromTheSideFiles()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.LlamaDir);
        Assert.Equal("sentencepiece", tok.Kind);
        Assert.Equal(700, tok.ModelVocabSize);
        Assert.Equal(702, tok.VocabSize);
        Assert.Equal((1, 2, 701, 700), (tok.BosId, tok.EosId, tok.PadId, tok.ImageTokenId));
        Assert.Equal("<image>", tok.ImageToken);
        Assert.True(tok.AddBos);
        Assert.False(tok.AddEos);
        Assert.Equal("<0x0A>", tok.TokenText(tok.Encode("\n", addSpecialTokens: false)[^1]));
        Assert.Equal(tok.Encode("\n", addSpecialTokens: false)[^1], tok.TokenId("<0x0A>"));
        Assert.Equal("What?", tok.Decode(tok.Encode("<image>What?"), skipSpecialTokens: true));
    }

    [Fact]
    public void BadIdsAndBadFilesAreOneLineErrors()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.LlamaDir);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([5, 702]));
        Assert.Contains("token id 702 is outside the vocabulary (0..701", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.Decode([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tok.TokenText(9999));

        var broken = TokenizerGolden.CopyOf(TokenizerGolden.LlamaDir, Path.Combine(_dir, "broken"));
        File.WriteAllBytes(Path.Combine(broken, "tokenizer.model"), [1, 2, 3, 0xFF, 0xFF, 0xFF]);
        var bad = Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(broken));
        Assert.Contains("tokenizer.model: not a SentencePiece BPE model", bad.Message);
        Assert.DoesNotContain('\n', bad.Message);

        File.Delete(Path.Combine(broken, "tokenizer.model"));
        var missing = Assert.Throws<FileNotFoundException>(() => TokenizerDirectory.Load(broken));
        Assert.Contains("tokenizer_class LlamaTokenizer needs tokenizer.model", missing.Message);

        File.WriteAllText(Path.Combine(broken, "tokenizer_config.json"), "{\"add_bos_token\": tru");
        var json = Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(broken));
        Assert.Contains("tokenizer_config.json: not valid JSON", json.Message);

        File.WriteAllText(Path.Combine(broken, "tokenizer_config.json"), "{\"add_bos_token\": \"yes\"}");
        Assert.Contains("'add_bos_token' is not true or false", Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(broken)).Message);

        File.Delete(Path.Combine(broken, "tokenizer_config.json"));
        Assert.Contains("no tokeniser (expected tokenizer.model", Assert.Throws<FileNotFoundException>(() => TokenizerDirectory.Load(broken)).Message);
        Assert.Throws<DirectoryNotFoundException>(() => TokenizerDirectory.Load(Path.Combine(_dir, "nowhere")));
    }

    [Fact]
    public void AnAddedTokenClashingWithTheModelIsRefused()
    {
        var dir = TokenizerGolden.CopyOf(TokenizerGolden.LlamaDir, Path.Combine(_dir, "clash"));
        File.WriteAllText(Path.Combine(dir, "added_tokens.json"), "{\"<video>\": 5}");
        var e = Assert.Throws<InvalidDataException>(() => TokenizerDirectory.Load(dir));
        Assert.Contains("added token '<video>' claims id 5", e.Message);
    }
}
