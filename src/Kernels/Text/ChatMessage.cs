namespace MMInterp.Kernels.Text;

/// <summary>One turn of a conversation: role ("system", "user", "assistant"), its text, and how many images come
/// with it (each becomes the tokeniser's image token, placed before the text as LLaVA's templates place it).</summary>
public sealed record ChatMessage(string Role, string Text, int Images = 0)
{
    public static ChatMessage User(string text, int images = 0) => new("user", text, images);
    public static ChatMessage Assistant(string text) => new("assistant", text);
    public static ChatMessage System(string text) => new("system", text);
}
