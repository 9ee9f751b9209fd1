using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MMInterp.Client.Web.Api;
using MMInterp.Client.Web.Auth;
using Microsoft.AspNetCore.Http;

namespace MMInterp.Client.Web.Pages;

/// <summary>
/// A posted submit form turned into the JSON object the API takes, and nothing more: it only changes the encoding
/// (numbers that read as numbers become JSON numbers, grid lines an object of lists, the options text parsed as
/// JSON). Whether the values make sense is left to <see cref="JobSubmissions"/>, so the form and the API refuse the
/// same input in the same words. Empty fields are left out (their default applies); fields the form does not know
/// are passed on, so they are refused by name as in the API.
/// </summary>
public static class SubmittedForm
{
    public const string Where = "form";

    public static JsonBody Read(string kind, IFormCollection form)
    {
        var fields = SubmitFields.Of(kind).ToDictionary(f => f.Name);
        var o = new JsonObject();
        foreach (var (key, values) in form)
        {
            if (key == CsrfGuard.FormField) continue;
            if (values.Count > 1) throw new ArgumentException($"{Where}.{key} is given {values.Count} times");
            var text = values.ToString().Trim();
            if (text.Length == 0) continue;
            o[key] = (fields.TryGetValue(key, out var f) ? f.Input : FieldInput.Text) switch
            {
                FieldInput.Number => Number(text),
                FieldInput.Grid => Grid(text),
                FieldInput.Json => Json(key, text),
                _ => JsonValue.Create(text),
            };
        }
        return JsonBody.Of(o, Where, JobSubmissions.Fields(kind));
    }

    static JsonNode Number(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n)
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? JsonValue.Create(d)
        : JsonValue.Create(text); // not a number: JsonBody names the field ("form.steps must be a whole number")

    /// <summary>"sae.K=8,16" a line, as --grid takes it. Field names and values are checked by the sweep's own validation.</summary>
    static JsonObject Grid(string text)
    {
        var grid = new JsonObject();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var eq = line.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"{Where}.grid line '{line}' must look like sae.K=8,16,32");
            var name = line[..eq].Trim();
            if (grid.ContainsKey(name)) throw new ArgumentException($"{Where}.grid names {name} twice");
            grid[name] = new JsonArray(line[(eq + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
        }
        return grid;
    }

    static JsonNode? Json(string key, string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{Where}.{key} is not valid JSON ({e.Message.Split('.')[0]})");
        }
    }
}
