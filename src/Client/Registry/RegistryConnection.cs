namespace MMInterp.Client.Registry;

/// <summary>
/// Where the registry lives: the --db option, else the MMINTERP_DB environment variable
/// (an Npgsql connection string, e.g. "Host=127.0.0.1;Port=54329;Username=postgres;Database=mminterp").
/// </summary>
public static class RegistryConnection
{
    public const string EnvironmentVariable = "MMINTERP_DB";

    public static string Resolve(string? option)
    {
        if (!string.IsNullOrWhiteSpace(option)) return option;
        var fromEnv = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        throw new ArgumentException($"no registry database: pass --db <connection string> or set {EnvironmentVariable}");
    }
}
