using System.Text;
using System.Text.RegularExpressions;

namespace MMInterp.Kernels.Text;

/// <summary>
/// The checkpoint's prompt format. HF stores it as Jinja (chat_template.jinja, chat_template.json, or
/// tokenizer_config.json's chat_template); no maintained Jinja engine exists for .NET (NuGet has Liquid engines,
/// Fluid, DotLiquid and Scriban, which cannot evaluate Jinja's expressions: "+" on strings, .upper(), filters like
/// selectattr, raise_exception), so the template is recognised by its content as one of the known families and that
/// family's format is written here by hand, matching what jinja2 renders from the real templates
/// (tests/reference/tokenizer_reference.py: chat_goldens.json). A missing or unrecognised template falls back to
/// LLaVA-1.5's format, and <see cref="Note"/> says so.
/// </summary>
public sealed partial class ChatTemplate
{
    public ChatTemplate(ChatTemplateFamily family, string imageToken = "<image>", string bosToken = "<s>", string eosToken = "</s>",
                        string? defaultSystemPrompt = null, string? source = null, string? note = null)
    {
        Family = family;
        ImageToken = imageToken;
        BosToken = bosToken;
        EosToken = eosToken;
        DefaultSystemPrompt = defaultSystemPrompt;
        Source = source;
        Note = note;
    }

    public ChatTemplateFamily Family { get; }
    public string ImageToken { get; }
    public string BosToken { get; }
    public string EosToken { get; }
    /// <summary>The system turn the template adds when the conversation has none (Qwen2's "You are a helpful assistant.").</summary>
    public string? DefaultSystemPrompt { get; }
    /// <summary>The file the template came from, or null when none was found.</summary>
    public string? Source { get; }
    /// <summary>Why the format is a fallback (no template, or one not recognised), for the user to see; null otherwise.</summary>
    public string? Note { get; }
    /// <summary>Llama-2's template writes BOS into the text itself, so its prompt is encoded without adding another.</summary>
    public bool RendersBos => Family == ChatTemplateFamily.Llama2;

    /// <summary>The directory's template, with the tokeniser's image/BOS/EOS tokens.</summary>
    public static ChatTemplate FromDirectory(string directory, TextTokenizer tokenizer)
    {
        var (jinja, source) = FindTemplate(directory);
        return Recognise(jinja, source, tokenizer.ImageToken ?? "<image>", tokenizer.BosToken ?? "<s>", tokenizer.EosToken ?? "</s>");
    }

    /// <summary>Where transformers looks, in its order: chat_template.jinja, chat_template.json (the processor's),
    /// then tokenizer_config.json's chat_template.</summary>
    public static (string? Jinja, string? Source) FindTemplate(string directory)
    {
        var jinjaPath = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinjaPath)) return (File.ReadAllText(jinjaPath), jinjaPath);
        var jsonPath = Path.Combine(directory, "chat_template.json");
        if (File.Exists(jsonPath))
            return (HfTokenizerConfig.Template(HfTokenizerConfig.ReadObject(jsonPath)["chat_template"], jsonPath)
                    ?? throw new InvalidDataException($"{jsonPath}: no 'chat_template'"), jsonPath);
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath) && HfTokenizerConfig.Read(directory).ChatTemplate is { } t) return (t, configPath);
        return (null, null);
    }

    /// <summary>The family a Jinja template's content shows.</summary>
    public static ChatTemplate Recognise(string? jinja, string? source = null, string imageToken = "<image>", string bosToken = "<s>", string eosToken = "</s>")
    {
        if (jinja is null)
            return new(ChatTemplateFamily.Llava15, imageToken, bosToken, eosToken, source: null,
                       note: "no chat template in the model directory; using LLaVA-1.5's \"USER: <image>\\n... ASSISTANT:\"");
        if (jinja.Contains("<|im_start|>", StringComparison.Ordinal))
            return new(ChatTemplateFamily.ChatMl, imageToken, bosToken, eosToken, DefaultSystem(jinja), source);
        if (jinja.Contains("[INST]", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Llama2, imageToken, bosToken, eosToken, source: source);
        if (jinja.Contains("ASSISTANT:", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Llava15, imageToken, bosToken, eosToken, source: source);
        return new(ChatTemplateFamily.Llava15, imageToken, bosToken, eosToken, source: source,
                   note: $"chat template in {source ?? "the model directory"} is not one of the known families (LLaVA-1.5, ChatML, Llama-2 [INST]); using LLaVA-1.5's \"USER: <image>\\n... ASSISTANT:\"");
    }

    // '<|im_start|>system\n' then literal text up to <|im_end|>: the \n may be a real newline or Jinja's escape.
    [GeneratedRegex(@"<\|im_start\|>system(?:\n|\\n)([^'""{}]*?)<\|im_end\|>")]
    private static partial Regex ChatMlSystem();

    static string? DefaultSystem(string jinja) => ChatMlSystem().Match(jinja) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>A one-question prompt: the user's question with its images, and the assistant's turn opened.</summary>
    public string Prompt(string question, int images = 1) => Render([ChatMessage.User(question, images)]);

    /// <summary>The conversation as the checkpoint's template writes it.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        if (messages.Count == 0) throw new ArgumentException("a chat prompt needs at least one message");
        foreach (var m in messages)
        {
            if (m.Role is not ("system" or "user" or "assistant")) throw new ArgumentException($"chat role '{m.Role}' is not system, user or assistant");
            if (m.Images < 0) throw new ArgumentException($"a {m.Role} message has {m.Images} images");
        }
        return Family switch
        {
            ChatTemplateFamily.Llava15 => Llava(messages, addGenerationPrompt),
            ChatTemplateFamily.ChatMl => ChatMl(messages, addGenerationPrompt),
            _ => Llama2(messages),
        };
    }

    /// <summary>Rendered and tokenised, with BOS added by the tokeniser unless the template wrote it.</summary>
    public int[] Encode(TextTokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true) =>
        tokenizer.Encode(Render(messages, addGenerationPrompt), addSpecialTokens: !RendersBos);

    string Images(int n) => string.Concat(Enumerable.Repeat(ImageToken + "\n", n));

    // llava-hf's template: "ROLE: " (none for system), images first, then text and a space; "ASSISTANT:" to open.
    string Llava(IReadOnlyList<ChatMessage> messages, bool gen)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            if (m.Role != "system") sb.Append(m.Role.ToUpperInvariant()).Append(": ");
            sb.Append(Images(m.Images)).Append(m.Text).Append(' ');
        }
        if (gen) sb.Append("ASSISTANT:");
        return sb.ToString();
    }

    string ChatMl(IReadOnlyList<ChatMessage> messages, bool gen)
    {
        var sb = new StringBuilder();
        if (DefaultSystemPrompt is not null && messages[0].Role != "system")
            sb.Append("<|im_start|>system\n").Append(DefaultSystemPrompt).Append("<|im_end|>\n");
        foreach (var m in messages)
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(Images(m.Images)).Append(m.Text).Append("<|im_end|>\n");
        if (gen) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    // Meta's Llama-2 chat format: the system prompt inside the first [INST], roles strictly alternating.
    string Llama2(IReadOnlyList<ChatMessage> messages)
    {
        var system = messages[0].Role == "system" ? messages[0] : null;
        var turns = system is null ? messages : messages.Skip(1).ToList();
        var sb = new StringBuilder();
        for (var i = 0; i < turns.Count; i++)
        {
            var m = turns[i];
            if ((m.Role == "user") != (i % 2 == 0))
                throw new ArgumentException("Llama-2's chat template needs roles alternating user/assistant/user/... after an optional system message");
            var content = Images(m.Images) + m.Text;
            if (i == 0 && system is not null) content = $"<<SYS>>\n{Images(system.Images)}{system.Text}\n<</SYS>>\n\n{content}";
            sb.Append(m.Role == "user" ? $"{BosToken}[INST] {content.Trim()} [/INST]" : $" {content.Trim()} {EosToken}");
        }
        return sb.ToString();
    }
}
