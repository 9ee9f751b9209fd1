using System.CommandLine;
using MMInterp.Client.Commands;
using Xunit;

namespace MMInterp.Client.Tests.Sweeps;

/// <summary>
/// `mminterp sweep` refuses a grid value its field cannot take with one line naming the field and the value, and a
/// non-zero exit, before it opens anything: the database given here does not exist, so an error about it would mean
/// the command got further than it should.
/// </summary>
public class SweepCommandTests
{
    static async Task<(int Code, string Err)> InvokeAsync(params string[] args)
    {
        var root = new RootCommand { SweepCommand.Create() };
        var err = new StringWriter();
        var previous = Console.Error;
        Console.SetError(err); // CliAction prints failures to stderr
        try
        {
            var code = await root.Parse(["sweep", "--activations", "acts-1", .. args, "--db", "Host=127.0.0.1;Port=1;Database=none;Timeout=1"]).InvokeAsync();
            return (code, err.ToString());
        }
        finally { Console.SetError(previous); }
    }

    [Theory]
    [InlineData("sae.K=8,abc", "error: sweep value sae.K=abc: K must be an integer")]
    [InlineData("sae.Kind=bogus", "error: sweep value sae.Kind=bogus: Kind must be one of Relu, TopK, BatchTopK, JumpRelu")]
    [InlineData("sae.K=1e400", "error: sweep value sae.K=1e400: K must be a finite number")]
    [InlineData("training.Lr=Infinity", "error: sweep value training.Lr=Infinity: Lr must be a finite number")]
    [InlineData("training.Lr=fast", "error: sweep value training.Lr=fast: Lr must be a number")]
    [InlineData("sae.Nope=1", "error: sweep axis 'sae.Nope': SaeConfig has no field 'Nope'")]
    public async Task ABadGridValueIsOneLineNamingFieldAndValueBeforeAnythingOpens(string grid, string expected)
    {
        var (code, err) = await InvokeAsync("--grid", grid);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
