using MMInterp.Kernels.Artefacts;

namespace MMInterp.Grains.Serialization;

// Kernels knows nothing of Orleans, so its artefact types travel in grain messages through these surrogates.
// Construction on the receiving side re-validates the hash and kind.

[GenerateSerializer, Immutable]
public readonly record struct ArtefactRefSurrogate([property: Id(0)] string Sha256, [property: Id(1)] long Size, [property: Id(2)] string Kind);

[RegisterConverter]
public sealed class ArtefactRefConverter : IConverter<ArtefactRef, ArtefactRefSurrogate>
{
    public ArtefactRef ConvertFromSurrogate(in ArtefactRefSurrogate s) => new(s.Sha256, s.Size, new ArtefactKind(s.Kind));
    public ArtefactRefSurrogate ConvertToSurrogate(in ArtefactRef v) => new(v.Sha256, v.Size, v.Kind.Name);
}

[GenerateSerializer, Immutable]
public readonly record struct ArtefactKindSurrogate([property: Id(0)] string Name);

[RegisterConverter]
public sealed class ArtefactKindConverter : IConverter<ArtefactKind, ArtefactKindSurrogate>
{
    public ArtefactKind ConvertFromSurrogate(in ArtefactKindSurrogate s) => new(s.Name);
    public ArtefactKindSurrogate ConvertToSurrogate(in ArtefactKind v) => new(v.Name);
}
