using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web;

/// <summary>Reads a request's form, refusing other bodies with a 400 that says what was expected.</summary>
public static class RequestBodies
{
    /// <summary>
    /// The posted form. A JSON, text or empty body is an ArgumentException (400); a form that is cut short or
    /// malformed (multipart without its closing boundary) a BadHttpRequestException (400). Over-limit forms throw
    /// InvalidDataException or Kestrel's 413, which <see cref="WebErrors"/> answers 413.
    /// </summary>
    public static async Task<IFormCollection> FormAsync(HttpRequest request, CancellationToken ct)
    {
        if (!request.HasFormContentType)
            throw new ArgumentException("the body must be a form (application/x-www-form-urlencoded or multipart/form-data)");
        try
        {
            return await request.ReadFormAsync(ct);
        }
        catch (BadHttpRequestException)
        {
            throw; // Kestrel's own (413 too large, 400 cut short): already a client error with its status
        }
        catch (IOException e) when (!ct.IsCancellationRequested)
        {
            throw new BadHttpRequestException("the body is not a well-formed form", StatusCodes.Status400BadRequest, e);
        }
    }
}
