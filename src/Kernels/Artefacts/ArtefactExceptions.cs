namespace MMInterp.Kernels.Artefacts;

/// <summary>A stored file does not hash to its name (bit rot, truncation, a hand edit). Its bytes must not be used.</summary>
public sealed class ArtefactCorruptedException(string sha256, string path, string reason)
    : IOException($"artefact {sha256} is corrupted at {path}: {reason}")
{
    public string Sha256 { get; } = sha256;
    public string FilePath { get; } = path;
}

/// <summary>The store has no file for this hash.</summary>
public sealed class ArtefactNotFoundException(string sha256, string root)
    : FileNotFoundException($"artefact {sha256} is not in the store at {root}")
{
    public string Sha256 { get; } = sha256;
}
