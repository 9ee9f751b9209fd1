namespace MMInterp.Silo.Storage;

/// <summary>Finds the PostgreSQL server programs (Debian keeps them out of PATH).</summary>
public static class PostgresBinaries
{
    public static string Directory()
    {
        var fromEnv = Environment.GetEnvironmentVariable("MMINTERP_PGBIN");
        if (!string.IsNullOrWhiteSpace(fromEnv)) return Check(fromEnv);
        const string debianRoot = "/usr/lib/postgresql";
        if (System.IO.Directory.Exists(debianRoot))
        {
            var newest = System.IO.Directory.GetDirectories(debianRoot)
                .Select(d => (dir: d, version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => File.Exists(Path.Combine(x.dir, "bin", "initdb")))
                .OrderByDescending(x => x.version)
                .FirstOrDefault();
            if (newest.dir is not null) return Path.Combine(newest.dir, "bin");
        }
        throw new InvalidOperationException(
            "PostgreSQL server programs not found (looked in /usr/lib/postgresql/*/bin and MMINTERP_PGBIN); run infra/scripts/setup.sh to install them");
    }

    static string Check(string dir) => File.Exists(Path.Combine(dir, "initdb"))
        ? dir
        : throw new InvalidOperationException($"MMINTERP_PGBIN={dir} has no initdb");
}
