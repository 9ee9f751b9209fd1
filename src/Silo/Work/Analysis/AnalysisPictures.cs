using System.Text.Json.Nodes;
using MMInterp.Kernels.Artefacts;

namespace MMInterp.Silo.Work.Analysis;

/// <summary>A scratch directory for an analysis's pictures and the record of those it stored: name -> sha256, the
/// <c>images</c> object of an experiment's results, which the web UI shows inline. Deletes the directory when disposed.</summary>
public sealed class AnalysisPictures(ArtefactStore store, string prefix) : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
    public JsonObject Images { get; } = [];

    /// <summary>Stores the PNG at <paramref name="path"/> under <paramref name="name"/> (the file name without extension when null).</summary>
    public async Task AddAsync(string path, CancellationToken ct, string? name = null) =>
        Images[name ?? Path.GetFileNameWithoutExtension(path)] = await StoreAsync(path, ct);

    /// <summary>Stores the PNG at <paramref name="path"/> without listing it in <see cref="Images"/> (for pictures that
    /// belong elsewhere, such as a feature's dashboard); returns its sha256.</summary>
    public async Task<string> StoreAsync(string path, CancellationToken ct) => (await store.PutFileAsync(path, ArtefactKind.Png, ct)).Sha256;

    public async Task AddAllAsync(IEnumerable<string> paths, CancellationToken ct)
    {
        foreach (var path in paths) await AddAsync(path, ct);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
