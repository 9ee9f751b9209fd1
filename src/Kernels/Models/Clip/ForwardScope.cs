using MMInterp.Kernels.Hooks;
using static TorchSharp.torch;

namespace MMInterp.Kernels.Models.Clip;

/// <summary>
/// Frees a forward step's intermediates when the step returns instead of when the caller's dispose scope ends, so a
/// no-grad pass over a deep tower holds one block's temporaries at a time, not all of them. A step that contains an
/// attached hook point runs unscoped: a hook may keep the tensors it sees, and they must live as long as before.
/// Autograd is unaffected: the graph holds its own references to what backward needs.
/// </summary>
internal static class ForwardScope
{
    /// <summary>Runs <paramref name="step"/>; unless <paramref name="hooked"/>, disposes everything it created but its result.</summary>
    public static Tensor Run(bool hooked, Func<Tensor> step)
    {
        if (hooked) return step();
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(step());
    }

    /// <summary>True when any of the points has a hook function attached.</summary>
    public static bool AnyHooked(params HookPoint[] points)
    {
        foreach (var p in points)
            if (p.Functions is not null) return true;
        return false;
    }

    /// <summary>stream + update. Without autograd it adds in place into <paramref name="update"/>, which must be a fresh
    /// tensor no hook has seen; float addition commutes, so the result is bit-identical.</summary>
    public static Tensor Residual(Tensor stream, Tensor update) => is_grad_enabled() ? stream + update : update.add_(stream);
}
