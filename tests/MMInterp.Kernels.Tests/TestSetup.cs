using System.Runtime.CompilerServices;
using TorchSharp;

namespace MMInterp.Kernels.Tests;

internal static class TestSetup
{
    /// <summary>Test tensors are tiny and the 2 cores are shared: one libtorch thread avoids OpenMP spin contention.</summary>
    [ModuleInitializer]
    internal static void Init() => torch.set_num_threads(1);
}
