namespace MMInterp.Grains.Contracts;

public interface IAcceleratorProbeGrain : IWhereGrain, IGrainWithStringKey;
