using System.Text.Json;
using System.Text.Json.Nodes;

namespace MMInterp.Kernels.Text;

/// <summary>
/// What an HF model directory says about its tokeniser beside the model file: tokenizer_config.json (class,
/// add_bos_token/add_eos_token, legacy, add_prefix_space, added_tokens_decoder, the special tokens, chat_template),
/// special_tokens_map.json and added_tokens.json. Every file is optional; the defaults are transformers' own.
/// </summary>
public sealed record HfTokenizerConfig
{
    public string? TokenizerClass { get; init; }
    public bool? AddBos { get; init; }
    public bool? AddEos { get; init; }
    /// <summary>LlamaTokenizer's legacy flag: transformers treats a missing one as true.</summary>
    public bool Legacy { get; init; } = true;
    public bool AddPrefixSpace { get; init; } = true;
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? UnkToken { get; init; }
    public string? PadToken { get; init; }
    public string? ImageToken { get; init; }
    public IReadOnlyList<AddedToken> AddedTokens { get; init; } = [];
    /// <summary>The Jinja source in tokenizer_config.json, if any (chat_template.json / .jinja are read by ChatTemplate).</summary>
    public string? ChatTemplate { get; init; }

    public static HfTokenizerConfig Read(string directory)
    {
        var config = new HfTokenizerConfig();
        var added = new Dictionary<int, AddedToken>();
        var additionalSpecial = new HashSet<string>(StringComparer.Ordinal);
        var path = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(path))
        {
            var root = ReadObject(path);
            if (root["added_tokens_decoder"] is JsonObject decoder)
                foreach (var (key, node) in decoder)
                {
                    if (!int.TryParse(key, out var id) || id < 0)
                        throw new InvalidDataException($"{path}: added_tokens_decoder key '{key}' is not a token id");
                    var content = node?["content"] is JsonValue c && c.TryGetValue<string>(out var s) ? s
                        : throw new InvalidDataException($"{path}: added_tokens_decoder['{key}'] has no string 'content'");
                    added[id] = new AddedToken(content, id, Bool(node!["special"], path, "special") ?? false);
                }
            AdditionalSpecial(root, path, additionalSpecial);
            config = config with
            {
                TokenizerClass = Str(root["tokenizer_class"], path, "tokenizer_class"),
                AddBos = Bool(root["add_bos_token"], path, "add_bos_token"),
                AddEos = Bool(root["add_eos_token"], path, "add_eos_token"),
                Legacy = Bool(root["legacy"], path, "legacy") ?? true,
                AddPrefixSpace = Bool(root["add_prefix_space"], path, "add_prefix_space") ?? true,
                BosToken = Token(root["bos_token"], path, "bos_token"),
                EosToken = Token(root["eos_token"], path, "eos_token"),
                UnkToken = Token(root["unk_token"], path, "unk_token"),
                PadToken = Token(root["pad_token"], path, "pad_token"),
                ImageToken = Token(root["image_token"], path, "image_token")
                             ?? Token((root["extra_special_tokens"] as JsonObject)?["image_token"], path, "extra_special_tokens.image_token"),
                ChatTemplate = Template(root["chat_template"], path),
            };
        }
        // special_tokens_map.json fills what tokenizer_config.json left unset (transformers reads both, the map last).
        var mapPath = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(mapPath))
        {
            var map = ReadObject(mapPath);
            AdditionalSpecial(map, mapPath, additionalSpecial);
            config = config with
            {
                BosToken = config.BosToken ?? Token(map["bos_token"], mapPath, "bos_token"),
                EosToken = config.EosToken ?? Token(map["eos_token"], mapPath, "eos_token"),
                UnkToken = config.UnkToken ?? Token(map["unk_token"], mapPath, "unk_token"),
                PadToken = config.PadToken ?? Token(map["pad_token"], mapPath, "pad_token"),
                ImageToken = config.ImageToken ?? Token(map["image_token"], mapPath, "image_token"),
            };
        }
        var addedPath = Path.Combine(directory, "added_tokens.json");
        if (File.Exists(addedPath))
            foreach (var (content, node) in ReadObject(addedPath))
            {
                var id = node is JsonValue v && v.TryGetValue<int>(out var i) && i >= 0 ? i
                    : throw new InvalidDataException($"{addedPath}: '{content}' does not map to a token id");
                added.TryAdd(id, new AddedToken(content, id, Special: false));
            }
        // tokens listed in additional_special_tokens are special even where added_tokens.json made them plain
        var tokens = added.Values.OrderBy(t => t.Id)
            .Select(t => additionalSpecial.Contains(t.Content) && !t.Special ? t with { Special = true } : t).ToList();
        return config with { AddedTokens = tokens };
    }

    static void AdditionalSpecial(JsonObject root, string path, HashSet<string> into)
    {
        if (root["additional_special_tokens"] is null) return;
        if (root["additional_special_tokens"] is not JsonArray list)
            throw new InvalidDataException($"{path}: 'additional_special_tokens' is not a list");
        foreach (var node in list)
            into.Add(Token(node, path, "additional_special_tokens[]") ?? throw new InvalidDataException($"{path}: 'additional_special_tokens' holds a null"));
    }

    internal static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new InvalidDataException($"{path}: expected a JSON object");
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})"); }
    }

    static string? Str(JsonNode? node, string path, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new InvalidDataException($"{path}: '{key}' is not a string"),
    };

    static bool? Bool(JsonNode? node, string path, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw new InvalidDataException($"{path}: '{key}' is not true or false"),
    };

    /// <summary>A special token is a string, an AddedToken object {"content": ...}, or null.</summary>
    static string? Token(JsonNode? node, string path, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue<string>(out var s) => s,
        _ => throw new InvalidDataException($"{path}: '{key}' is neither a token string nor {{\"content\": ...}}"),
    };

    /// <summary>chat_template is one Jinja string, or a list of {name, template} of which "default" is the one used.</summary>
    internal static string? Template(JsonNode? node, string path) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray list => list.OfType<JsonObject>().FirstOrDefault(o => o["name"]?.GetValue<string>() == "default")?["template"]?.GetValue<string>()
                          ?? throw new InvalidDataException($"{path}: chat_template is a list with no 'default' entry"),
        _ => throw new InvalidDataException($"{path}: chat_template is neither a string nor a list of named templates"),
    };
}
