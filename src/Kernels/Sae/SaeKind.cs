namespace MMInterp.Kernels.Sae;

/// <summary>SAE architectures, named as in SAELens ("standard" is ReLU + L1).</summary>
public enum SaeKind { Relu, TopK, BatchTopK, JumpRelu }
