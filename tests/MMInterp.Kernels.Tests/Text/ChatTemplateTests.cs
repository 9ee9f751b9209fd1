using System.Text.Json.Nodes;
using MMInterp.Kernels.Text;
using Xunit;

namespace MMInterp.Kernels.Tests.Text;

/// <summary>Prompts as jinja2 renders the real LLaVA-1.5, ChatML (Qwen2) and Llama-2 templates; the directory's
/// template found where transformers looks; the LLaVA-1.5 fallback with its note.</summary>
public sealed class ChatTemplateTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("mminterp-chat-").FullName;
    static readonly JsonObject Golden = TokenizerGolden.Read("chat_goldens.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<int> Cases() => new(Enumerable.Range(0, Golden["cases"]!.AsArray().Count));

    [Theory, MemberData(nameof(Cases))]
    public void RendersAsJinjaRendersTheRealTemplate(int i)
    {
        var c = Golden["cases"]![i]!;
        var family = c["family"]!.GetValue<string>();
        var template = ChatTemplate.Recognise(Golden["templates"]![family]!.GetValue<string>(), "golden");
        Assert.Equal(family switch { "llava" => ChatTemplateFamily.Llava15, "chatml" => ChatTemplateFamily.ChatMl, _ => ChatTemplateFamily.Llama2 },
                     template.Family);
        Assert.Null(template.Note);
        var messages = c["messages"]!.AsArray()
            .Select(m => new ChatMessage(m!["role"]!.GetValue<string>(), m["text"]!.GetValue<string>(), m["images"]!.GetValue<int>())).ToList();
        Assert.Equal(c["rendered"]!.GetValue<string>(), template.Render(messages, c["add_generation_prompt"]!.GetValue<bool>()));
    }

    [Fact]
    public void LlavaDirectoryPromptsAndTokenisesAsTheProcessorDoes()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.LlamaDir);
        var template = ChatTemplate.FromDirectory(TokenizerGolden.LlamaDir, tok);
        Assert.Equal(ChatTemplateFamily.Llava15, template.Family);
        Assert.EndsWith("chat_template.json", template.Source);
        const string prompt = "USER: <image>\nWhat colour is the circle? ASSISTANT:";
        Assert.Equal(prompt, template.Prompt("What colour is the circle?"));
        var golden = TokenizerGolden.Read("llama_goldens.json")["strings"]!.AsArray().Single(s => s!["text"]!.GetValue<string>() == prompt)!;
        Assert.Equal(TokenizerGolden.Ids(golden["ids"]), template.Encode(tok, [ChatMessage.User("What colour is the circle?", 1)]));
    }

    [Fact]
    public void Qwen2DirectoryGivesChatMlWithItsDefaultSystemPrompt()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.Qwen2Dir);
        var template = ChatTemplate.FromDirectory(TokenizerGolden.Qwen2Dir, tok);
        Assert.Equal(ChatTemplateFamily.ChatMl, template.Family);
        Assert.Equal("You are a helpful assistant.", template.DefaultSystemPrompt);
        Assert.EndsWith("tokenizer_config.json", template.Source);
        var ids = template.Encode(tok, [ChatMessage.User("hi", 1)]);
        Assert.Equal(tok.TokenId("<|im_start|>"), ids[0]);
        Assert.Contains(tok.ImageTokenId!.Value, ids);
    }

    [Fact]
    public void Llama2WritesItsOwnBosAndRefusesRolesOutOfTurn()
    {
        var tok = TokenizerDirectory.Load(TokenizerGolden.LlamaDir);
        var template = ChatTemplate.Recognise(Golden["templates"]!["llama2"]!.GetValue<string>());
        Assert.True(template.RendersBos);
        var ids = template.Encode(tok, [ChatMessage.User("hi")]);
        Assert.Equal(1, ids.Count(id => id == tok.BosId));
        var e = Assert.Throws<ArgumentException>(() => template.Render([ChatMessage.User("a"), ChatMessage.User("b")]));
        Assert.Contains("alternating", e.Message);
    }

    [Fact]
    public void NoTemplateOrAnUnknownOneFallsBackToLlava15WithANote()
    {
        var bare = ChatTemplate.Recognise(null);
        Assert.Equal(ChatTemplateFamily.Llava15, bare.Family);
        Assert.Contains("no chat template", bare.Note);
        var odd = ChatTemplate.Recognise("{% for m in messages %}<<{{ m.content }}>>{% endfor %}", "x/tokenizer_config.json");
        Assert.Equal(ChatTemplateFamily.Llava15, odd.Family);
        Assert.Contains("x/tokenizer_config.json is not one of the known families", odd.Note);
        Assert.Equal("USER: <image>\nq ASSISTANT:", odd.Prompt("q"));
        Assert.Contains("chat role 'tool'", Assert.Throws<ArgumentException>(() => odd.Render([new ChatMessage("tool", "x")])).Message);

        var dir = Path.Combine(_dir, "broken");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "chat_template.json"), "{\"template\": \"x\"}");
        Assert.Contains("chat_template.json: no 'chat_template'", Assert.Throws<InvalidDataException>(() => ChatTemplate.FindTemplate(dir)).Message);
        File.WriteAllText(Path.Combine(dir, "chat_template.json"), "[1,2");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => ChatTemplate.FindTemplate(dir)).Message);
    }
}
