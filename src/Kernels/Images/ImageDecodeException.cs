namespace MMInterp.Kernels.Images;

/// <summary>An item that could not be read or decoded; the message names the item's key and the problem.</summary>
public sealed class ImageDecodeException(string key, string problem, Exception? inner = null)
    : IOException($"{key}: {problem}", inner)
{
    public string Key { get; } = key;
    public string Problem { get; } = problem;
}
