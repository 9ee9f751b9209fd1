namespace MMInterp.Grains.Contracts;

public interface IPingGrain : IGrainWithStringKey
{
    Task<string> Ping(string message);
}
