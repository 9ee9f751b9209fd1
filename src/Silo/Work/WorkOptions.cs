namespace MMInterp.Silo.Work;

/// <summary>
/// Where kernel work keeps its files. Every silo of a cluster must see the same artefact store (a local directory on
/// one machine, a shared mount across machines); the cache is per silo.
/// </summary>
/// <param name="ArtefactRoot">Content-addressed store (MMINTERP_ARTEFACTS; default ~/.mminterp/artefacts).</param>
/// <param name="CacheRoot">Unpacked models and activation sets (MMINTERP_CACHE; default ~/.mminterp/cache).</param>
/// <param name="OracleSteps">Training steps of the attribute oracle made for a diffusers pipeline's analyses
/// (MMINTERP_ORACLE_STEPS; 0, the default: the zoo U-Net recipe's).</param>
public sealed record WorkOptions(string ArtefactRoot, string CacheRoot, int OracleSteps = 0)
{
    /// <summary>MMINTERP_HOME, default ~/.mminterp: where the store, the cache and the local silo's record live.</summary>
    public static string HomeFromEnvironment() =>
        Env("MMINTERP_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".mminterp");

    public static WorkOptions FromEnvironment()
    {
        var home = HomeFromEnvironment();
        var steps = Env("MMINTERP_ORACLE_STEPS") is { } text
            ? int.TryParse(text, out var n) && n > 0 ? n : throw new ArgumentException($"MMINTERP_ORACLE_STEPS must be a positive whole number, got '{text}'")
            : 0;
        return new WorkOptions(
            Env("MMINTERP_ARTEFACTS") ?? Path.Combine(home, "artefacts"),
            Env("MMINTERP_CACHE") ?? Path.Combine(home, "cache"), steps);
    }

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
