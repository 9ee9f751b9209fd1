using System.Security.Cryptography;

namespace MMInterp.Grains.Contracts;

/// <summary>
/// Registry ids: short text such as 'run-5f0c9a1e2b3d', used as grain keys, CLI arguments and primary keys alike.
/// Same rule as the CHECK constraints in infra/sql/0100_registry.sql.
/// </summary>
public static class RegistryIds
{
    public const string DefaultProject = "default";

    public static string New(string prefix) =>
        $"{Validate(prefix, "id prefix")}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    public static bool IsValid(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 128 && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-');

    public static string Validate(string? id, string what = "id")
    {
        if (!IsValid(id))
            throw new ArgumentException($"{what} must be 1-128 chars of [A-Za-z0-9._:-] starting with a letter or digit, got '{id}'");
        return id!;
    }

    public static string? ValidateOptional(string? id, string what) => id is null ? null : Validate(id, what);
}
