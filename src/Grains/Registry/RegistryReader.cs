using Npgsql;

namespace MMInterp.Grains.Registry;

/// <summary>Null-aware column reads, so row mappers stay one line per field.</summary>
internal static class RegistryReader
{
    public static string? StringOrNull(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    public static long? Int64OrNull(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
    public static DateTimeOffset Time(this NpgsqlDataReader r, int i) => r.GetFieldValue<DateTimeOffset>(i);
    public static DateTimeOffset? TimeOrNull(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
    public static string[] Strings(this NpgsqlDataReader r, int i) => r.GetFieldValue<string[]>(i);
}
