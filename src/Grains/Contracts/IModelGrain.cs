namespace MMInterp.Grains.Contracts;

/// <summary>A registered model, loaded on an accelerator silo. Key: model id.</summary>
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Loads the model on this grain's silo (if not yet) and describes it; unknown ids fail clearly.</summary>
    [ResponseTimeout("00:10:00")]
    Task<ModelInfo> Describe();
}
