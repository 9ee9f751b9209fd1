using System.CommandLine;
using MMInterp.Client.Platform;
using MMInterp.Grains.Registry;
using MMInterp.Kernels.Analyses;

namespace MMInterp.Client.Commands;

/// <summary>`mminterp diffusion sae`: the diffusion-sae experiment; one SAE per noise level at a denoiser hook, with
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
                var activations = new Option<string?>("--activations") { Description = "train on a `diffusion extract` directory (sharded, keyed by hook and level) instead of fresh activations" };
                command.Options.Add(activations);
                return async (parse, session, json, ct) =>
                {
                    if (parse.GetValue(activations) is { } dir) json["activations"] = await StudyRunner.StoreAsync(session, dir, "--activations", ct);
                };
            },
        }.Create();
}
