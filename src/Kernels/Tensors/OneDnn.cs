using System.Runtime.InteropServices;

namespace MMInterp.Kernels.Tensors;

/// <summary>
/// Switches libtorch's oneDNN (mkldnn) CPU kernels off or on for the whole process (PyTorch's
/// torch.backends.mkldnn.enabled; TorchSharp 0.107 does not expose it, so at::Context's own setter is called). With
/// oneDNN on, this machine's convolutions sporadically return NaN (see <see cref="NonFiniteRetry"/>); the zoo U-Net
/// trains with it off. NNPACK, libtorch's next choice, cannot initialise on these CPUs and logs that on every call, so
/// it is switched off with it and convolutions take libtorch's own im2col + GEMM path.
/// </summary>
public static class OneDnn
{
    const string Library = "torch_cpu";

    /// <summary>False when this libtorch does not export the setters (another build): the setting is then unchanged.</summary>
    public static bool TrySetEnabled(bool enabled)
    {
        try
        {
            var context = GlobalContext();
            SetMkldnn(context, enabled);
            SetNnpack(context, enabled);
            return Enabled == enabled;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Whether oneDNN is on (true when this libtorch does not export the getter: its default).</summary>
    public static bool Enabled
    {
        get
        {
            try { return UserEnabledMkldnn(GlobalContext()); }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { return true; }
        }
    }

    [DllImport(Library, EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Library, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledMkldnn(IntPtr context);
}
