using MMInterp.Kernels.Tensors;
using TorchSharp;
using Xunit;

namespace MMInterp.Kernels.Tests;

/// <summary>The patched native library loads on this machine and computes correctly.</summary>
public class TorchSharpLoadTests
{
    [Fact]
    public void MatmulAndGradientMatchHandComputation()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        var x = torch.tensor(new float[] { 1, -1 }, 2, 1).requires_grad_();
        var y = a.matmul(x).pow(2).sum(); // (1-2)^2 + (3-4)^2 = 2
        y.backward();
        Assert.Equal(2f, y.item<float>(), 5);
        // d/dx sum((Ax)^2) = 2 A^T A x = 2 * [[10,14],[14,20]] * [1,-1] = [-8, -12]
        var g = x.grad!.data<float>().ToArray();
        Assert.Equal(new[] { -8f, -12f }, g);
    }

    [Fact]
    public void UnknownDeviceNameIsRejectedWithItsName()
    {
        var e = Assert.Throws<ArgumentException>(() => TorchRuntime.ParseDevice("tpu"));
        Assert.Contains("tpu", e.Message);
    }
}
