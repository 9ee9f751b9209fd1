using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MMInterp.Kernels.Analyses;

/// <summary>
/// Kernel results as JSON for the registry. An analysis honestly yields NaN (an attribute never decodable, an
/// accuracy over no images); JSON has no NaN and Postgres' jsonb refuses the named literals, so non-finite numbers
/// become null, which the CLI prints as n/a and the web UI as a dash.
/// </summary>
public static class ResultJson
{
    static readonly JsonSerializerOptions Options = new() { Converters = { new FiniteDouble(), new FiniteFloat() } };

    public static JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, Options);

    public static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    sealed class FiniteDouble : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }

    sealed class FiniteFloat : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value)) writer.WriteNumberValue(value);
            else writer.WriteNullValue();
        }
    }
}
