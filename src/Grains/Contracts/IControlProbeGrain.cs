namespace MMInterp.Grains.Contracts;

public interface IControlProbeGrain : IWhereGrain, IGrainWithStringKey;
