using System.CommandLine;
using MMInterp.Client.Commands;
using Xunit;

namespace MMInterp.Client.Tests.Sweeps;

/// <summary>
/// `mminterp sweep` refuses a grid value its field cannot take with one line naming the field and the value, and a
/// non-zero exit, before it opens anything: the database given here does not exist, so an error about it would mean
/// the command got further than it should.
/// </summary>
[Collection(MMInterp.Client.Tests.Cli.ConsoleErrorCollection.Name)]
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

    [Theory]
    // An unknown field is refused with the list of the valid axes, in whatever case it is written.
    [InlineData(new[] { "sae.Foo=1,2" }, "error: sweep axis 'sae.Foo': SaeConfig has no field 'Foo' (valid axes: sae.Kind, sae.DSae, sae.K,")]
    [InlineData(new[] { "SAE.foo=1,2" }, "error: sweep axis 'sae.foo': SaeConfig has no field 'foo' (valid axes: ")]
    [InlineData(new[] { "model.K=1,2" }, "error: sweep axis 'model.K' must start with sae. or training. (valid axes: ")]
    // One field in two spellings is one axis named twice, and one value twice would train the same SAE twice.
    [InlineData(new[] { "sae.k=8,16", "SAE.K=32" }, "error: --grid names sae.K twice")]
    [InlineData(new[] { "sae.K=8,8.0" }, "error: sweep axis 'sae.K' gives the same value twice (8 and 8.0)")]
    [InlineData(new[] { "training.lr=0.001,1e-3" }, "error: sweep axis 'training.Lr' gives the same value twice (0.001 and 1e-3)")]
    public async Task UnknownOrRepeatedAxesAndValuesAreRefused(string[] grids, string expected)
    {
        var (code, err) = await InvokeAsync(grids.SelectMany(g => new[] { "--grid", g }).ToArray());
        Assert.Equal(2, code);
        Assert.StartsWith(expected, err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void AxesAreMatchedCaseInsensitivelyToTheConfigsSpelling()
    {
        Assert.Equal("sae.K", MMInterp.Grains.Sweeps.SweepPoints.Canonical("SAE.k"));
        Assert.Equal("training.SparsityCoefficient", MMInterp.Grains.Sweeps.SweepPoints.Canonical("training.sparsitycoefficient"));
        // The input width comes from the activation set; the help lists every axis but it.
        var grid = SweepCommand.Create().Options.Single(o => o.Name == "--grid");
        Assert.Contains("sae.K, ", grid.Description);
        Assert.Contains("training.Lr", grid.Description);
        Assert.DoesNotContain("sae.DIn", grid.Description);
    }
}
