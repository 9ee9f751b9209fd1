namespace MMInterp.Grains.Contracts.Jobs;

public enum JobPhase
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}
