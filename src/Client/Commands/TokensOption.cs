using System.CommandLine;
using MMInterp.Kernels.Extraction;

namespace MMInterp.Client.Commands;

/// <summary>`--tokens all|patch|cls`: which tokens of each image count (<see cref="TokenSelection"/>). A bad value is
/// refused by the parser in one line naming the valid ones.</summary>
public static class TokensOption
{
    /// <param name="defaultValue">null: no default (the command decides, e.g. from a dictionary's activation set)</param>
    public static Option<string> Create(string description, string? defaultValue = "all")
    {
        var option = new Option<string>("--tokens") { Description = description };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            try { TokenSelections.Parse(value); }
            catch (ArgumentException e) { r.AddError(e.Message); }
        });
        return option;
    }

    public static TokenSelection Read(ParseResult parse, Option<string> option) => TokenSelections.Parse(parse.GetValue(option));
}
