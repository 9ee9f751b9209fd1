using System.CommandLine;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion steer --sae DIR`: the diffusion-steer experiment with the timestep SAEs of a `diffusion
/// sae` directory; each colour's best-detecting feature is added during sampling of prompts naming another colour;
/// success against a random direction of equal norm and the unsteered rate, per step window.</summary>
public static class DiffusionSteerCommand
{
    public static Command Create() =>
        new StudyVerb("steer", "steer colour during sampling with timestep-SAE features (`diffusion sae`): success vs random-direction and unsteered controls, early vs late steps",
            AnalysisCatalog.Get<DiffusionSteerAnalysis>(), ModelFamily.Diffusion, "diffusion-steer")
        {
            Except = ["sae_set"],
            ResultsFile = "steering.json",
            Extra = command =>
            {
                var sae = new Option<string?>("--sae") { Description = "timestep SAE directory (`mminterp diffusion sae --out`); or name registered dictionaries with --dictionaries" };
                command.Options.Add(sae);
                return async (parse, session, json, ct) =>
                {
                    if (parse.GetValue(sae) is { } dir)
                    {
                        if (!Directory.Exists(dir)) throw new ArgumentException($"--sae: directory '{dir}' not found");
                        json["sae_set"] = await StudyRunner.StoreAsync(session, dir, "--sae", ct);
                    }
                    else if (json["dictionaries"] is null) throw new ArgumentException("give --sae DIR (a `diffusion sae` directory) or --dictionaries ID,ID,...");
                };
            },
        }.Create();
}
