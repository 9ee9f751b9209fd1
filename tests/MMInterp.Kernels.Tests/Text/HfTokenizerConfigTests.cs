using MMInterp.Kernels.Text;
using Xunit;

namespace MMInterp.Kernels.Tests.Text;

/// <summary>The HF side files in the shapes older and newer checkpoints write them.</summary>
public sealed class HfTokenizerConfigTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-hfcfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    void Write(string name, string text) => File.WriteAllText(Path.Combine(_dir, name), text);

    [Fact]
    public void AnOlderLlavaDirectoryAddsItsImageTokenThroughAddedTokensJson()
    {
        // llava-hf's first uploads: <image> only in added_tokens.json, made special by special_tokens_map.json
        TokenizerGolden.CopyOf(TokenizerGolden.LlamaDir, _dir);
        Write("tokenizer_config.json", "{\"tokenizer_class\": \"LlamaTokenizer\", \"legacy\": false, \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}}");
        Write("added_tokens.json", "{\"<image>\": 700, \"<pad>\": 701}");
        Write("special_tokens_map.json", "{\"pad_token\": \"<pad>\", \"additional_special_tokens\": [\"<image>\"]}");
        var tok = TokenizerDirectory.Load(_dir);
        Assert.Equal((1, 700, 701), (tok.BosId, tok.ImageTokenId, tok.PadId));
        Assert.True(tok.IsSpecial(700));
        Assert.True(tok.IsSpecial(701)); // the pad token
        Assert.Equal([1, 700], tok.Encode("<image>"));
        Assert.Equal("", tok.Decode([1, 700, 701], skipSpecialTokens: true));
    }

    [Fact]
    public void NewerFilesNameTheImageTokenAndKeepTheTemplateBeside()
    {
        Write("tokenizer_config.json", "{\"extra_special_tokens\": {\"image_token\": \"<img>\"}, " +
              "\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}, {\"name\": \"default\", \"template\": \"{{ '<|im_start|>' }}\"}]}");
        var config = HfTokenizerConfig.Read(_dir);
        Assert.Equal("<img>", config.ImageToken);
        Assert.Equal("{{ '<|im_start|>' }}", config.ChatTemplate);
        Assert.Equal(ChatTemplateFamily.ChatMl, ChatTemplate.Recognise(ChatTemplate.FindTemplate(_dir).Jinja).Family);

        Write("chat_template.jinja", "{{ 'ASSISTANT:' }}"); // transformers reads this file first
        var (jinja, source) = ChatTemplate.FindTemplate(_dir);
        Assert.Equal(ChatTemplateFamily.Llava15, ChatTemplate.Recognise(jinja, source).Family);
        Assert.EndsWith("chat_template.jinja", source);
    }

    [Fact]
    public void MalformedSideFilesAreOneLineErrorsNamingTheFile()
    {
        Write("special_tokens_map.json", "{\"additional_special_tokens\": \"<image>\"}");
        Assert.Contains("special_tokens_map.json: 'additional_special_tokens' is not a list",
                        Assert.Throws<InvalidDataException>(() => HfTokenizerConfig.Read(_dir)).Message);
        File.Delete(Path.Combine(_dir, "special_tokens_map.json"));
        Write("added_tokens.json", "{\"<image>\": \"seven\"}");
        Assert.Contains("added_tokens.json: '<image>' does not map to a token id",
                        Assert.Throws<InvalidDataException>(() => HfTokenizerConfig.Read(_dir)).Message);
        File.Delete(Path.Combine(_dir, "added_tokens.json"));
        Write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"x\": {\"content\": \"<a>\"}}}");
        Assert.Contains("added_tokens_decoder key 'x' is not a token id",
                        Assert.Throws<InvalidDataException>(() => HfTokenizerConfig.Read(_dir)).Message);
        Write("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"}]}");
        Assert.Contains("chat_template is a list with no 'default' entry",
                        Assert.Throws<InvalidDataException>(() => HfTokenizerConfig.Read(_dir)).Message);
    }
}
