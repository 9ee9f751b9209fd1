using System.CommandLine;
using MMInterp.Client.Platform;
using Xunit;

namespace MMInterp.Client.Tests.Platform;

/// <summary>The one-call option helper: what a command line says reaches the resolver.</summary>
public class VocabularyOptionsTests
{
    static (Command Command, VocabularyOptions Options) Command()
    {
        var command = new Command("analyze");
        return (command, VocabularyOptions.Add(command));
    }

    [Fact]
    public void RepeatedTemplatesAndAFileReachTheVocabulary()
    {
        var (command, options) = Command();
        var parse = new RootCommand { command }.Parse(["analyze", "--vocab", "imagenet", "--template", "a photo of a {}.", "--template", "a drawing of a {}."]);
        Assert.Empty(parse.Errors);
        var v = options.Resolve(parse)!;
        Assert.Equal("imagenet", v.Name);
        Assert.Equal(["a photo of a {}.", "a drawing of a {}."], v.Templates);
    }

    [Fact]
    public void NoVocabularyLeavesTheCommandsDefaultAndBadInputIsOneLine()
    {
        var (command, options) = Command();
        Assert.Null(options.Resolve(new RootCommand { command }.Parse(["analyze"])));
        var parse = new RootCommand { command }.Parse(["analyze", "--vocab", "shapes", "--template", "a {}."]);
        var e = Assert.Throws<ArgumentException>(() => options.Resolve(parse));
        Assert.DoesNotContain('\n', e.Message);
        var missing = Path.Combine(Path.GetTempPath(), $"no-vocab-{Guid.NewGuid():N}.txt");
        parse = new RootCommand { command }.Parse(["analyze", "--vocab", missing]);
        Assert.Equal($"{missing}: no such file", Assert.Throws<FileNotFoundException>(() => options.Resolve(parse)).Message);
    }
}
