namespace MMInterp.Grains.Registry;

internal static class RegistryLimits
{
    public const int MaxPage = 10_000;

    /// <summary>List sizes are bounded so one careless call cannot pull a whole table through a grain.</summary>
    public static int Check(int limit) => limit is >= 1 and <= MaxPage
        ? limit
        : throw new ArgumentException($"limit must be 1-{MaxPage}, got {limit}");
}
