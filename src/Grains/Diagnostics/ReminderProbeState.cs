namespace MMInterp.Grains.Diagnostics;

[GenerateSerializer]
public sealed class ReminderProbeState
{
    [Id(0)] public long Ticks { get; set; }
    [Id(1)] public string LastTickSilo { get; set; } = "";
}
