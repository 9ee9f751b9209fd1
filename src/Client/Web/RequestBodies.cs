using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web;

/// <summary>Reads a request's form, refusing other bodies with a 400 that says what was expected.</summary>
public static class RequestBodies
{
    /// <summary>The posted form; ArgumentException (400) for a JSON, text or empty body. Over-limit forms throw
    /// InvalidDataException or BadHttpRequestException, which <see cref="WebErrors"/> answers 413.</summary>
    public static Task<IFormCollection> FormAsync(HttpRequest request, CancellationToken ct) =>
        request.HasFormContentType
            ? request.ReadFormAsync(ct)
            : throw new ArgumentException("the body must be a form (application/x-www-form-urlencoded or multipart/form-data)");
}
