using MMInterp.Grains.Contracts.Dictionaries;
using MMInterp.Grains.Placement;

namespace MMInterp.Grains.Dictionaries;

/// <summary>
/// A registered dictionary on an accelerator silo. One activation per dictionary id, so the SAE is loaded on one silo
/// and calls on it run one at a time; the silo's <see cref="IDictionaryHost"/> does the tensor work and drops the SAE
/// when this activation goes idle and is collected.
/// </summary>
[AcceleratorPlacement]
public sealed class DictionaryGrain(IDictionaryHost host) : Grain, IDictionaryGrain
{
    string Id => this.GetPrimaryKeyString();

    public Task<DictionaryInfo> Describe() => host.DescribeAsync(Id, RuntimeIdentity, CancellationToken.None);

    public Task<FeatureCodes> Encode(ActivationRows rows) => host.EncodeAsync(Id, rows.Validated(), CancellationToken.None);

    public Task<ActivationRows> Decode(FeatureCodes codes) => host.DecodeAsync(Id, codes.Validated(), CancellationToken.None);

    public Task<DictionaryFeature> Feature(int index) => host.FeatureAsync(Id, index, CancellationToken.None);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        host.Release(Id);
        return Task.CompletedTask;
    }
}
