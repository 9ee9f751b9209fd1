using MMInterp.Grains.Contracts.Dictionaries;

namespace MMInterp.Grains.Dictionaries;

/// <summary>
/// The silo-side SAE cache behind <see cref="IDictionaryGrain"/> (kernel-backed, under Silo/Work): loads a registered
/// dictionary's checkpoint once, computes on it off the grain's scheduler, and frees it on <see cref="Release"/>.
/// Unknown ids and rows of the wrong width are ArgumentExceptions naming the problem.
/// </summary>
public interface IDictionaryHost
{
    Task<DictionaryInfo> DescribeAsync(string dictionaryId, string silo, CancellationToken ct);
    Task<FeatureCodes> EncodeAsync(string dictionaryId, ActivationRows rows, CancellationToken ct);
    Task<ActivationRows> DecodeAsync(string dictionaryId, FeatureCodes codes, CancellationToken ct);
    Task<DictionaryFeature> FeatureAsync(string dictionaryId, int index, CancellationToken ct);
    void Release(string dictionaryId);
}
