using Xunit;

namespace MMInterp.Client.Tests.Cli;

/// <summary>
/// Tests that capture stderr by swapping Console.Error (the CLI prints its one-line failures there): one process-wide
/// writer, so they run one at a time rather than reading each other's lines.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ConsoleErrorCollection
{
    public const string Name = "console stderr";
}
