using System.CommandLine;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion sae`: the diffusion-sae experiment (on fresh activations or an extracted set); one SAE per noise level at a denoiser hook, with
/// per-level reconstruction and how early single features decode each attribute. The SAEs (t0.500/sae.safetensors and
/// their manifest) are written into --out, where `diffusion steer --sae` reads them.</summary>
public static class DiffusionSaeCommand
{
    public static Command Create() =>
        new StudyVerb("sae", "train one SAE per noise level at a denoiser hook (timestep-resolved SAEs); reports FVU, L0 and feature decodability per level",
            AnalysisCatalog.Get<DiffusionSaeAnalysis>(), ModelFamily.Diffusion, "diffusion-saes")
        {
            Except = ["activations"],
            Files = new Dictionary<string, string> { ["saes"] = "" },
            Extra = command =>
            {
                var activations = new Option<string?>("--activations")
                {
                    Description = "train on extracted activations instead of fresh ones: an activation set of timestep keys (`diffusion extract`, "
                                  + "`extract --hooks HOOK@t=LEVEL`), or a directory an older `diffusion extract` wrote",
                };
                command.Options.Add(activations);
                return async (parse, session, json, ct) =>
                {
                    if (parse.GetValue(activations) is not { } source) return;
                    if (Directory.Exists(source)) json["activations"] = await StudyRunner.StoreAsync(session, source, "--activations", ct);
                    else if (await session.Registry.ActivationSets.GetAsync(source, ct) is { } set) json["activations"] = set.IndexSha256;
                    else throw new ArgumentException($"--activations '{source}' is neither a registered activation set nor a directory");
                };
            },
        }.Create();
}
