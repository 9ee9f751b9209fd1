using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web.Rendering;

/// <summary>
/// Serves a picture drawn by one of the kernels' plot classes (which write PNG files) as a response: drawn into a
/// temporary file, read back, deleted. Nothing is stored; the picture follows the registry's current rows.
/// </summary>
public static class PlotImages
{
    public static async Task<IResult> PngAsync(Action<string> draw, CancellationToken ct)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"mminterp-plot-{Guid.NewGuid():N}.png");
        try
        {
            draw(path);
            // Drawn per request, so no caching beyond the browser's own revalidation.
            return Results.File(await File.ReadAllBytesAsync(path, ct), "image/png");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
