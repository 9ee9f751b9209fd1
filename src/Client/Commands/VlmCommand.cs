using System.CommandLine;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp vlm trace|knockout|logit-lens|steer --model ID|DIR --out DIR`: the VLM analyses on held-out
/// ShapesWorld questions, or with `--data FILE.jsonl` on a user's images and questions for an HF LLaVA, as experiments (kinds vlm-study, one part each, and vlm-steer), each headline beside its control; the
/// pictures and the results JSON are written to DIR.</summary>
public static class VlmCommand
{
    public static Command Create()
    {
        var vlm = new Command("vlm", "interpretability of a VLM (the zoo VLM on ShapesWorld, or an HF LLaVA on your --data): causal tracing, attention knockout, logit lens, steering through the vision encoder");
        vlm.Subcommands.Add(Part("trace", "causal tracing: corrupt the image tokens, restore one (layer, position) state at a time", VlmStudyOptions.Trace, "tracing.json"));
        vlm.Subcommands.Add(Part("knockout", "attention knockout: block the answer position from image / object / random tokens", VlmStudyOptions.Knockout, "knockout.json"));
        vlm.Subcommands.Add(Part("logit-lens", "decode every layer's visual-token states through the LM unembedding", VlmStudyOptions.LogitLens, "logit_lens.json"));
        vlm.Subcommands.Add(VlmSteerCommand.Create());
        return vlm;
    }

    static Command Part(string name, string description, string part, string json) =>
        new StudyVerb(name, description, AnalysisCatalog.Get<VlmStudyAnalysis>(), ModelFamily.Vlm, $"vlm-{name}")
        {
            Fixed = StudyVerb.Parts(part),
            ResultsFile = json,
            Except = VlmStudyOptions.DataOptions,
            Extra = command =>
            {
                ThreadsOption.Add(command);
                command.Options.Add(VlmDataOption.Create());
                return VlmDataOption.StoreAsync;
            },
            Check = parse => VlmDataOption.Check(parse),
        }.Create();
}
