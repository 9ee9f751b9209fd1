namespace MMInterp.Grains.Diagnostics;

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)] public long Value { get; set; }
}
