using System.CommandLine;
using MMInterp.Kernels.Sae;
using MMInterp.Kernels.Sae.Training;

namespace MMInterp.Client.Platform;

/// <summary>The SAE and training options shared by train-sae and sweep, turned into the kernels' validated configs.</summary>
public sealed class SaeOptions
{
    public Option<string> Activations { get; } = new("--activations") { Description = "registered activation set id", Required = true };
    public Option<string?> Hook { get; } = new("--hook") { Description = "hook point inside the set (default: its first)" };
    public Option<string> Kind { get; } = new("--kind") { Description = "relu | topk | batchtopk | jumprelu", DefaultValueFactory = _ => "topk" };
    public Option<int> DSae { get; } = new("--d-sae") { Description = "dictionary size", DefaultValueFactory = _ => 512 };
    public Option<int> K { get; } = new("--k") { Description = "active latents (TopK/BatchTopK)", DefaultValueFactory = _ => 32 };
    public Option<double> Lr { get; } = new("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => 1e-3 };
    public Option<double> Sparsity { get; } = new("--sparsity") { Description = "L1 / L0 coefficient (ReLU, JumpReLU)", DefaultValueFactory = _ => 1.0 };
    public Option<long> Steps { get; } = new("--steps") { Description = "training steps", DefaultValueFactory = _ => 2000 };
    public Option<int> Batch { get; } = new("--batch") { Description = "activations per step", DefaultValueFactory = _ => 1024 };
    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "steps between checkpoints", DefaultValueFactory = _ => 250 };
    public Option<long> Seed { get; } = new("--seed") { Description = "seed of weights and data order", DefaultValueFactory = _ => 0 };

    public IEnumerable<Option> All => [Activations, Hook, Kind, DSae, K, Lr, Sparsity, Steps, Batch, CheckpointEvery, Seed];

    public static SaeKind ParseKind(string text) => text.Trim().ToLowerInvariant() switch
    {
        "relu" => SaeKind.Relu,
        "topk" => SaeKind.TopK,
        "batchtopk" => SaeKind.BatchTopK,
        "jumprelu" => SaeKind.JumpRelu,
        _ => throw new ArgumentException($"--kind must be relu, topk, batchtopk or jumprelu, got '{text}'"),
    };

    /// <summary>The options as the request train-sae, sweep and the web API submit (<see cref="Submissions.TrainSaeRequest"/>).</summary>
    public Submissions.TrainSaeRequest Request(ParseResult parse, string? id = null) => new(
        parse.GetValue(Activations)!, parse.GetValue(Hook), parse.GetValue(Kind)!, parse.GetValue(DSae), parse.GetValue(K), parse.GetValue(Lr),
        parse.GetValue(Sparsity), parse.GetValue(Steps), parse.GetValue(Batch), parse.GetValue(CheckpointEvery), parse.GetValue(Seed), id);

    public (SaeConfig Sae, SaeTrainingConfig Training) Configs(ParseResult parse, int dIn) => Request(parse).Configs(dIn);
}
