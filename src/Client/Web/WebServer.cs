using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Auth;
using MMInterp.Client.Web.Pages;
using MMInterp.Client.Web.Rendering;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Artefacts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MMInterp.Client.Web;

/// <summary>
/// The web UI and JSON API of `mminterp serve`: Kestrel with minimal APIs over the registry, the artefact store and
/// (when given) the Orleans cluster. Every route needs an API token (see <see cref="WebAuth"/>); state-changing
/// requests made with the login cookie pass <see cref="CsrfGuard"/>. Request sizes are bounded (<see cref="WebLimits"/>)
/// and every failure is answered by <see cref="WebErrors"/> without internal detail. Pages are plain server-rendered
/// HTML; the Content-Security-Policy allows no scripts at all.
/// </summary>
public static class WebServer
{
    public static WebApplication Build(WebServerOptions options, RegistryStore registry, ArtefactStore artefacts,
        WebCluster? cluster = null, LogLevel logLevel = LogLevel.Warning)
    {
        options = options.Validated();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(WebServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel)
            // A failed start (port taken) is reported by the caller in one line, not as a logged stack trace.
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(options.Address, options.Port);
            WebLimits.Apply(k.Limits);
        });
        builder.Services.Configure<FormOptions>(WebLimits.Apply);
        builder.Services.AddSingleton(registry).AddSingleton(artefacts).AddSingleton(cluster ?? new WebCluster(null));
        builder.Services.AddTokenAuth();
        builder.Services.AddCsrfGuard();
        builder.Services.AddOpenApi(); // the API's description, served at /api/openapi.json

        var app = builder.Build();
        WebErrors.Use(app, app.Logger);
        // Set as the answer starts, so error answers (WebErrors clears the response) carry them too.
        app.Use((ctx, next) =>
        {
            ctx.Response.OnStarting(() =>
            {
                var h = ctx.Response.Headers;
                h.ContentSecurityPolicy = "default-src 'none'; img-src 'self'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
                h.XContentTypeOptions = "nosniff";
                // same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" with our own form
                // posts, and CsrfGuard needs the real origin; other sites still get no Referer.
                h["Referrer-Policy"] = "same-origin";
                return Task.CompletedTask;
            });
            return next(ctx);
        });
        app.UseRouting();
        app.UseAuthentication();
        CsrfGuard.Use(app);
        app.UseAuthorization();

        app.MapGet("/site.css", () => Results.Text(Layout.Css, "text/css; charset=utf-8")).AllowAnonymous();
        LoginPage.Map(app);
        RegistryPages.Map(app);
        DictionaryPage.Map(app);
        FeaturePage.Map(app);
        ExperimentPage.Map(app);
        RunsListPage.Map(app); DictionariesListPage.Map(app); RunPage.Map(app); SweepPage.Map(app); ComparePage.Map(app);
        ModelPage.Map(app); ActivationSetPage.Map(app); CompareEndpoints.Map(app);
        ApiEndpoints.Map(app);
        ApiWrites.Map(app);
        ManualLabelEndpoints.Map(app);
        ApiJobs.Map(app);
        SubmitPage.Map(app); JobPage.Map(app);
        app.MapOpenApi("/api/openapi.json");
        ArtefactEndpoint.Map(app);
        return app;
    }

    /// <summary>The address Kestrel actually listens on (port 0 resolved), after StartAsync.</summary>
    public static Uri Address(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }
}
