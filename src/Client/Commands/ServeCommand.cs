using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp serve`: the web UI and JSON API until Ctrl+C. It opens the platform like every command (registry,
/// artefact store, then the cluster: an Orleans client of the silos of MMINTERP_CLUSTER=external, else of the
/// machine's local silo, which the server's connection keeps running).
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "TCP port to listen on", DefaultValueFactory = _ => WebServerOptions.DefaultPort };
        var bind = new Option<string>("--bind") { Description = "IP address to listen on (0.0.0.0: every interface)", DefaultValueFactory = _ => WebServerOptions.DefaultBind };
        var db = DatabaseOption.Create();
        var command = new Command("serve", "serve the web UI and JSON API (every route needs an API token: see `mminterp token create`)") { port, bind, db };
        CliAction.Set(command, async (parse, ct) =>
        {
            var options = new WebServerOptions(parse.GetValue(port), parse.GetValue(bind)!).Validated();
            await using var session = await PlatformSession.OpenAsync(parse.GetValue(db), ct);
            var cluster = new WebCluster(session.ClusterAsync);
            await using var app = WebServer.Build(options, session.Registry, session.Artefacts, cluster);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new ArgumentException($"cannot listen on {options.Bind}:{options.Port}: {e.Message}", e);
            }
            // The cluster after the port is ours, so a taken port fails fast.
            await cluster.ConnectAsync(ct);
            Console.WriteLine($"serving on {WebServer.Address(app)} (Ctrl+C to stop); log in at /login with a token from `mminterp token create`");
            // Returns on Ctrl+C or SIGTERM (the command's token, or the web host's own console lifetime), after a graceful stop.
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }
}
