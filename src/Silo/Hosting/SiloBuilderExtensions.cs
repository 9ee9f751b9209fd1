using System.Net;
using MMInterp.Grains.Lifecycle;
using MMInterp.Grains.Placement;
using MMInterp.Silo.Placement;
using MMInterp.Silo.Work;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

namespace MMInterp.Silo.Hosting;

/// <summary>One call that makes an Orleans silo an MMInterp silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>Cluster identity, endpoints, Postgres providers, compute advertisement and trace propagation.</summary>
    public static ISiloBuilder UseMMInterpSilo(this ISiloBuilder silo, SiloHostOptions options)
    {
        options = options.Validated();
        silo.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
        silo.Configure<SiloOptions>(o => o.SiloName = options.Name);
        // Loopback-advertised silos listen on loopback only; others listen on all interfaces (containers, NAT).
        silo.ConfigureEndpoints(options.Address, options.SiloPort, options.GatewayPort,
            listenOnAnyHostAddress: !IPAddress.IsLoopback(options.Address));
        silo.UseMMInterpPostgres(options.ConnectionString);
        silo.AdvertiseCompute(LocalCompute.Detect(options.Role));
        silo.UseMMInterpTracing();
        silo.Services.AddMMInterpWork(options.ConnectionString);
        if (options.IdleExitMinutes > 0) silo.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<IdleExit>(sp, TimeSpan.FromMinutes(options.IdleExitMinutes)));
        // Operators and fault tests may shorten the resume reminder (Orleans' floor is one minute otherwise).
        if (int.TryParse(Environment.GetEnvironmentVariable("MMINTERP_RESUME_SECONDS"), out var seconds) && seconds > 0)
        {
            silo.Configure<JobOptions>(o => o.ResumeCheck = TimeSpan.FromSeconds(seconds));
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(seconds));
        }
        return silo;
    }
}
