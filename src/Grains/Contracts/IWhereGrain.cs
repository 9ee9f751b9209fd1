namespace MMInterp.Grains.Contracts;

/// <summary>Tells which silo hosts a grain; placement checks and `mminterp status` use it.</summary>
public interface IWhereGrain
{
    Task<string> SiloAddress();
}
