using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// C = alpha * op(A) op(B) + beta * C for 2-D float tensors. On this machine OpenBLAS sgemm runs about twice as fast
/// as libtorch's matmul (docs/ARCHITECTURE.md, "Machine facts"), so when libopenblas.so.0 is present it is called directly through a
/// hand-written P/Invoke (no .NET package wraps it), for CPU float tensors only (<see cref="FastPaths"/>); otherwise (other
/// devices, other dtypes, fast paths off) libtorch's addmm_ runs on the tensors' own device.
/// </summary>
public static unsafe class Gemm
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SgemmFn(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetThreadsFn(int n);

    private static readonly SgemmFn? Sgemm;
    /// <summary>Set MMINTERP_BLAS=torch to force libtorch (for side-by-side benchmarks).</summary>
    public static bool UseOpenBlas { get; set; }
    public static bool OpenBlasAvailable => Sgemm is not null;
    public static string Backend => UseOpenBlas && Sgemm is not null ? "openblas" : "libtorch";

    [DllImport("libc.so.6", EntryPoint = "unsetenv")]
    private static extern int UnsetEnv(string name);

    static Gemm()
    {
        if (Environment.GetEnvironmentVariable("MMINTERP_BLAS") == "torch") return;
        try
        {
            // These variables, when set, make OpenBLAS pick slower kernels here; OpenBLAS reads them at load time.
            UnsetEnv("OPENBLAS_CORETYPE");
            UnsetEnv("OPENBLAS_L2_SIZE");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        foreach (var name in new[] { "libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "libopenblas.so" })
        {
            if (!NativeLibrary.TryLoad(name, out var lib)) continue;
            if (!NativeLibrary.TryGetExport(lib, "cblas_sgemm", out var fn)) continue;
            Sgemm = Marshal.GetDelegateForFunctionPointer<SgemmFn>(fn);
            if (NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out var st))
                Marshal.GetDelegateForFunctionPointer<SetThreadsFn>(st)(Environment.ProcessorCount);
            UseOpenBlas = true;
            break;
        }
    }

    /// <summary>C = alpha * op(A) op(B) + beta * C, in place. op(X) = X^T when trans is set. Shapes are checked.</summary>
    public static void Mm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        long m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1];
        long kb = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1];
        if (k != kb || c.shape[0] != m || c.shape[1] != n)
            throw new ArgumentException($"gemm shape mismatch: op(A) [{m},{k}] op(B) [{kb},{n}] C [{c.shape[0]},{c.shape[1]}]");
        if (UseOpenBlas && Sgemm is not null && FastPaths.Apply(a, b, c))
        {
            Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, (int)m, (int)n, (int)k, alpha,
                NativeTensor.FloatPtr(a), (int)a.shape[1], NativeTensor.FloatPtr(b), (int)b.shape[1], beta,
                NativeTensor.FloatPtr(c), (int)c.shape[1]);
            GC.KeepAlive(a); GC.KeepAlive(b); GC.KeepAlive(c);
            return;
        }
        using var opA = transA ? a.t() : a.alias();
        using var opB = transB ? b.t() : b.alias();
        c.addmm_(opA, opB, beta, alpha);
    }
}
