namespace MMInterp.Grains.Contracts;

/// <summary>What a loaded model offers: its hook points and size, and the silo that holds it.</summary>
[GenerateSerializer, Immutable]
public sealed record ModelInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Family,
    [property: Id(2)] IReadOnlyList<string> HookPoints,
    [property: Id(3)] long Parameters,
    [property: Id(4)] string Silo);

/// <summary>A registered model, loaded on an accelerator silo. Key: model id.</summary>
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Loads the model on this grain's silo (if not yet) and describes it; unknown ids fail clearly.</summary>
    [ResponseTimeout("00:10:00")]
    Task<ModelInfo> Describe();
}
