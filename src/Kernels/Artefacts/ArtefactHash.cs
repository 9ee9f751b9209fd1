using System.Security.Cryptography;

namespace MMInterp.Kernels.Artefacts;

/// <summary>Sha256 as lowercase hex: the one spelling used for paths, registry keys and messages.</summary>
public static class ArtefactHash
{
    /// <summary>Checks a hash string; accepts upper case but returns lower case.</summary>
    public static string Validate(string sha256)
    {
        if (sha256 is null || sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"not a sha256 hex string (64 hex digits): '{sha256}'");
        return sha256.ToLowerInvariant();
    }

    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>Hashes a stream to its end; returns the hash and the number of bytes read.</summary>
    public static async Task<(string Sha256, long Size)> OfAsync(Stream content, CancellationToken ct = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long size = 0;
        int n;
        while ((n = await content.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, n);
            size += n;
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }
}
