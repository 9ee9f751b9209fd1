namespace MMInterp.Kernels.Sae.Training;

/// <summary>Loss parts of one step (normalised space; Mse is the batch mean of ||x - x_hat||^2).</summary>
public readonly record struct StepResult(double Mse, double Sparsity, double Aux)
{
    public double Total => Mse + Sparsity + Aux;
}
