using System.CommandLine;
using MMInterp.Client.Cli;
using MMInterp.Client.Platform;
using MMInterp.Client.Web;
using Microsoft.AspNetCore.Builder;

namespace MMInterp.Client.Commands;

/// <summary>
/// `mminterp serve`: the web UI and JSON API until Ctrl+C. It opens the platform like every command (registry,
/// artefact store, then the cluster: an Orleans client with MMINTERP_CLUSTER=external, else the in-process silo,
/// which also lets interrupted jobs resume while the server runs).
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
            await session.ClusterAsync(ct);
            await using var app = WebServer.Build(options, session.Registry, session.Artefacts, session.ClusterAsync);
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new ArgumentException($"cannot listen on {options.Bind}:{options.Port}: {e.Message}", e);
            }
            Console.WriteLine($"serving on {WebServer.Address(app)} (Ctrl+C to stop); log in at /login with a token from `mminterp token create`");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
