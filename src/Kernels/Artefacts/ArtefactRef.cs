namespace MMInterp.Kernels.Artefacts;

/// <summary>A content address: what grain messages and registry rows carry instead of the bytes.</summary>
/// <param name="Sha256">Lowercase hex sha256 of the content (64 chars).</param>
/// <param name="Size">Content length in bytes.</param>
/// <param name="Kind">What the bytes are (safetensors, json, manifest, ...).</param>
public sealed record ArtefactRef
{
    public string Sha256 { get; }
    public long Size { get; }
    public ArtefactKind Kind { get; }

    public ArtefactRef(string sha256, long size, ArtefactKind kind)
    {
        Sha256 = ArtefactHash.Validate(sha256);
        if (size < 0) throw new ArgumentException($"artefact size must be >= 0, got {size}");
        Size = size;
        Kind = kind;
    }

    public override string ToString() => $"{Kind}:{Sha256}({Size} B)";
}
