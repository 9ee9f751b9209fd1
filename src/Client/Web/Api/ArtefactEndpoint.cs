using MMInterp.Kernels.Artefacts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace MMInterp.Client.Web.Api;

/// <summary>
/// GET /artefacts/{sha256}: the stored bytes, verified against their hash before the first byte goes out (a corrupted
/// file is refused). PNGs are served as images; anything else as a download, so stored bytes never render as a page.
/// </summary>
public static class ArtefactEndpoint
{
    static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/artefacts/{sha}", async (HttpContext ctx, ArtefactStore store, string sha, CancellationToken ct) =>
        {
            ArtefactHash.Validate(sha);
            var stream = await store.OpenReadAsync(sha, ct);
            var head = new byte[PngMagic.Length];
            var n = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
            stream.Seek(0, SeekOrigin.Begin);
            var png = n == head.Length && head.AsSpan().SequenceEqual(PngMagic);
            // Content-addressed: the bytes behind a hash never change.
            ctx.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
            return png
                ? Results.Stream(stream, "image/png", entityTag: new EntityTagHeaderValue($"\"{sha}\""))
                : Results.Stream(stream, "application/octet-stream", fileDownloadName: sha, entityTag: new EntityTagHeaderValue($"\"{sha}\""));
        });
}
