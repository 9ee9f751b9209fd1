namespace MMInterp.Kernels.ShapesWorld;

/// <summary>A tiny counter-based generator: the scene for (seed, index) never depends on any other scene,
/// on the platform, or on System.Random's algorithm.</summary>
public struct SplitMix64
{
    ulong _state;

    public SplitMix64(long seed, long index)
    {
        _state = (ulong)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)index + 0xD1B54A32D192ED03UL);
        Next();
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform integer in [0, n).</summary>
    public int Below(int n) => (int)(Next() % (ulong)n);

    /// <summary>Uniform double in [0, 1).</summary>
    public double Unit() => (Next() >> 11) * (1.0 / (1UL << 53));
}
