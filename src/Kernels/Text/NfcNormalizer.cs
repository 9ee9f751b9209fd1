using System.Text;
using Microsoft.ML.Tokenizers;

namespace MMInterp.Kernels.Text;

/// <summary>Unicode NFC, the normaliser Qwen2's tokenizer.json names ({"type": "NFC"}); Microsoft.ML.Tokenizers has
/// none of its own, and .NET's string.Normalize is the standard one. Under the project's InvariantGlobalization
/// (Directory.Build.props) .NET has no ICU and string.Normalize returns its input, so this composes nothing there;
/// kept so the tokeniser is right wherever ICU is on (see docs/ARCHITECTURE.md, Foreign models).</summary>
public sealed class NfcNormalizer : Normalizer
{
    public static NfcNormalizer Instance { get; } = new();

    public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);
    public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
}
