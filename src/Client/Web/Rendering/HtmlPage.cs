using MMInterp.Client.Web.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace MMInterp.Client.Web.Rendering;

/// <summary>
/// A rendered page. Forms that change something hold <see cref="CsrfGuard.TokenSlot"/>; it becomes the hidden
/// anti-forgery field here, where the request (and so the user the token is bound to) is known.
/// </summary>
public sealed class HtmlPage(string html, int status) : IResult
{
    public string Markup { get; } = html;
    public int StatusCode { get; } = status;

    public Task ExecuteAsync(HttpContext ctx)
    {
        var html = Markup;
        if (html.Contains(CsrfGuard.TokenSlot, StringComparison.Ordinal))
        {
            var tokens = ctx.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
            html = html.Replace(CsrfGuard.TokenSlot,
                $"<input type=\"hidden\" name=\"{Html.E(tokens.FormFieldName)}\" value=\"{Html.E(tokens.RequestToken)}\">",
                StringComparison.Ordinal);
        }
        ctx.Response.StatusCode = StatusCode;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        return ctx.Response.WriteAsync(html, ctx.RequestAborted);
    }
}
