using System.CommandLine;
using MMInterp.Kernels.Extraction;

namespace MMInterp.Client.Commands;

/// <summary>`--tokens all|patch|cls`: which tokens of each image count (<see cref="TokenSelection"/>). A bad value is
/// refused when read (<see cref="Read"/>), before the platform starts, in one line naming the valid ones.</summary>
public static class TokensOption
{
    /// <param name="defaultValue">null: no default (the command decides, e.g. from a dictionary's activation set)</param>
    public static Option<string> Create(string description, string? defaultValue = "all")
    {
        var option = new Option<string>("--tokens") { Description = description };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    public static TokenSelection Read(ParseResult parse, Option<string> option) => TokenSelections.Parse(parse.GetValue(option));
}
