using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace MMInterp.Client.Web;

/// <summary>
/// How much one request may send. Nothing the UI or API takes is large (a label is at most 200 characters), so the
/// limits are small: a body over 4 MiB or a form of more than 1024 fields is answered 413 before it is parsed.
/// </summary>
public static class WebLimits
{
    public const long MaxBodyBytes = 4L * 1024 * 1024;
    public const int MaxFormFields = 1024;

    public static string TooLarge => $"the request is too large (at most {MaxBodyBytes / (1024 * 1024)} MiB of body and {MaxFormFields} form fields)";

    public static void Apply(KestrelServerLimits limits) => limits.MaxRequestBodySize = MaxBodyBytes;

    public static void Apply(FormOptions form)
    {
        form.ValueCountLimit = MaxFormFields;
        form.ValueLengthLimit = (int)MaxBodyBytes;
        form.MultipartBodyLengthLimit = MaxBodyBytes;
    }
}
