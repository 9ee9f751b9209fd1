using System.Collections;
using System.Net;
using MMInterp.Grains.Placement;
using MMInterp.Silo.Hosting;
using Xunit;

namespace MMInterp.Silo.Tests.Hosting;

public class SiloCommandLineTests
{
    const string Db = "Host=127.0.0.1;Port=5432;Username=postgres;Database=mminterp";

    [Fact]
    public void FlagsOverrideEnvironmentAndDefaultsFillTheRest()
    {
        var env = new Hashtable { ["MMINTERP_DB"] = Db, ["MMINTERP_SILO_PORT"] = "12000", ["MMINTERP_CLUSTER_ID"] = "from-env" };
        var o = SiloCommandLine.Parse(["--silo-port", "12001", "--gateway-port=31001", "--address", "10.0.0.5", "--role", "accelerator"], env);
        Assert.Equal(Db, o.ConnectionString);
        Assert.Equal(12001, o.SiloPort);
        Assert.Equal(31001, o.GatewayPort);
        Assert.Equal("from-env", o.ClusterId);
        Assert.Equal(SiloHostOptions.DefaultServiceId, o.ServiceId);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), o.Address);
        Assert.Equal(SiloRole.Accelerator, o.Role);
        Assert.True(o.ApplyMigrations);
    }

    [Fact]
    public void NoMigrateIsAFlagWithoutValue()
    {
        var o = SiloCommandLine.Parse(["--no-migrate", "--db", Db], new Hashtable());
        Assert.False(o.ApplyMigrations);
        Assert.Equal(Db, o.ConnectionString);
    }

    [Theory]
    [InlineData(new string[0], "no database")]
    [InlineData(new[] { "--db", Db, "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "--db", Db, "--silo-port", "eleven" }, "--silo-port must be a port number")]
    [InlineData(new[] { "--db", Db, "--silo-port", "70000" }, "silo port must be 1-65535")]
    [InlineData(new[] { "--db", Db, "--silo-port", "30000" }, "must differ")]
    [InlineData(new[] { "--db", Db, "--cluster-id", "a b" }, "cluster id must be")]
    [InlineData(new[] { "--db", Db, "--address", "not-an-ip" }, "--address must be an IP address")]
    [InlineData(new[] { "--db", "Port=5432" }, "connection string")]
    [InlineData(new[] { "--db" }, "--db needs a value")]
    public void BadInputNamesTheProblem(string[] args, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => SiloCommandLine.Parse(args, new Hashtable()));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void TheLocalSiloStopsWhenIdleUnlessToldOtherwise()
    {
        var local = SiloCommandLine.Parse(["--db", Db, "--local"], new Hashtable());
        Assert.True(local.Local);
        Assert.Equal(SiloCommandLine.LocalIdleMinutes, local.IdleExitMinutes);
        Assert.Equal(3, SiloCommandLine.Parse(["--db", Db, "--local", "--idle-exit", "3"], new Hashtable()).IdleExitMinutes);
        var plain = SiloCommandLine.Parse(["--db", Db], new Hashtable());
        Assert.False(plain.Local);
        Assert.Equal(0, plain.IdleExitMinutes);
        Assert.Contains("--idle-exit must be a whole number", Assert.Throws<ArgumentException>(() => SiloCommandLine.Parse(["--db", Db, "--idle-exit", "soon"], new Hashtable())).Message);
    }
}
