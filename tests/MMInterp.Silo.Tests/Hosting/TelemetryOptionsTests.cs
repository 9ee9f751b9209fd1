using System.Collections;
using MMInterp.Silo.Hosting;
using Xunit;

namespace MMInterp.Silo.Tests.Hosting;

public class TelemetryOptionsTests
{
    [Theory]
    [InlineData(null, null, false, false)]
    [InlineData(null, "http://collector:4317", true, false)]
    [InlineData("console", null, false, true)]
    [InlineData("console", "http://collector:4317", true, true)]
    [InlineData("off", "http://collector:4317", false, false)]
    public void ExportersFollowTheEnvironment(string? mode, string? endpoint, bool otlp, bool console)
    {
        var env = new Hashtable();
        if (mode is not null) env[TelemetryOptions.ModeVariable] = mode;
        if (endpoint is not null) env[TelemetryOptions.OtlpEndpointVariable] = endpoint;
        Assert.Equal(new TelemetryOptions(otlp, console), TelemetryOptions.FromEnvironment(env));
    }

    [Fact]
    public void UnknownModeIsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => TelemetryOptions.FromEnvironment(new Hashtable { [TelemetryOptions.ModeVariable] = "loud" }));
        Assert.Contains("MMINTERP_TELEMETRY", e.Message);
    }
}
