namespace MMInterp.Silo.Hosting;

/// <summary>A silo could not start; the message is one line a person can act on (the cause stays in InnerException).</summary>
public sealed class SiloStartException(string message, Exception? inner = null)
    : Exception(OneLine(message), inner)
{
    static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
