using System.CommandLine;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp vlm steer --model ID|DIR (--sae PATH | --train-sae) --out DIR`: the vlm-steer experiment. Clamps,
/// per colour (or shape), the SAE feature of the VLM's vision tower that detects it and reports how often the VLM's
/// answer turns to it, beside an equal-norm random direction and the unsteered rate; writes steering.json, the
/// picture and (with --train-sae) sae.safetensors. With --data FILE.jsonl (an HF LLaVA and an SAE on its vision hook),
/// the concepts are the examples' expected answers.</summary>
public static class VlmSteerCommand
{
    public static Command Create() =>
        new StudyVerb("steer", "steer the VLM's answer through SAE features of its vision tower, against a random-direction control",
            AnalysisCatalog.Get<VlmSteerAnalysis>(), ModelFamily.Vlm, "vlm-steer")
        {
            Except = ["sae_file", "data", "data_file"],
            Check = parse => VlmDataOption.Check(parse),
            ResultsFile = "steering.json",
            Files = new Dictionary<string, string> { ["sae"] = "sae.safetensors" },
            Extra = command =>
            {
                var sae = new Option<string?>("--sae") { Description = "an SAE file (sae.safetensors) trained on --hook of this VLM (stored, then read by the silo)" };
                command.Options.Add(sae);
                var threads = ThreadsOption.Add(command);
                command.Options.Add(VlmDataOption.Create());
                return async (parse, session, json, ct) =>
                {
                    var path = parse.GetValue(sae);
                    var train = json["train_sae"]?.GetValue<bool>() ?? false;
                    if ((path is null) == !train) throw new ArgumentException("give exactly one of --sae PATH or --train-sae");
                    if (path is not null) json["sae_file"] = await StudyRunner.StoreAsync(session, path, "--sae", ct);
                    await VlmDataOption.StoreAsync(parse, session, json, ct);
                    await threads(parse, session, json, ct);
                };
            },
        }.Create();
}
