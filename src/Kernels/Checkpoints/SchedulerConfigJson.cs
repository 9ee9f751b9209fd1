using System.Text.Json.Nodes;
using MMInterp.Kernels.IO;
using MMInterp.Kernels.Models.StableDiffusion;
using static MMInterp.Kernels.Checkpoints.ConfigFields;

namespace MMInterp.Kernels.Checkpoints;

/// <summary>
/// Reads diffusers' scheduler/scheduler_config.json for <see cref="DdimScheduler"/> or
/// <see cref="EulerDiscreteScheduler"/>. The class comes from _class_name (another is refused by name); absent fields
/// take diffusers' defaults for that class; settings these schedulers do not implement (trained_betas,
/// thresholding, rescale_betas_zero_snr, Karras/exponential/beta sigmas, log_linear interpolation, continuous
/// timesteps) are refused by name. Errors are one line starting with the file.
/// </summary>
public static class SchedulerConfigJson
{
    public static SchedulerConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"scheduler config not found: {path}", path);
        return Read(JsonFiles.ReadObject(path), path);
    }

    public static SchedulerConfig Read(JsonObject root, string path)
    {
        try
        {
            var type = String(root, "_class_name") ?? throw new ArgumentException("_class_name is missing (which scheduler?)");
            var d = SchedulerConfig.Defaults(type);
            if (root["trained_betas"] is not null) throw new ArgumentException("trained_betas is set; only beta_schedule linear or scaled_linear is supported");
            foreach (var flag in new[] { "thresholding", "rescale_betas_zero_snr", "use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas" })
                if (Bool(root, flag, false)) throw new ArgumentException($"{flag} is true; not supported");
            if ((String(root, "interpolation_type") ?? "linear") is var interpolation && interpolation != "linear")
                throw new ArgumentException($"interpolation_type {JsonFiles.Quote(interpolation)} is not supported (only linear)");
            if ((String(root, "timestep_type") ?? "discrete") is var kind && kind != "discrete")
                throw new ArgumentException($"timestep_type {JsonFiles.Quote(kind)} is not supported (only discrete)");
            return new SchedulerConfig
            {
                ClassName = type,
                NumTrainTimesteps = Int(root, "num_train_timesteps", d.NumTrainTimesteps),
                BetaStart = Double(root, "beta_start", d.BetaStart),
                BetaEnd = Double(root, "beta_end", d.BetaEnd),
                BetaSchedule = String(root, "beta_schedule") ?? d.BetaSchedule,
                StepsOffset = Int(root, "steps_offset", d.StepsOffset),
                TimestepSpacing = String(root, "timestep_spacing") ?? d.TimestepSpacing,
                PredictionType = String(root, "prediction_type") ?? d.PredictionType,
                SetAlphaToOne = Bool(root, "set_alpha_to_one", d.SetAlphaToOne),
                ClipSample = type == SchedulerConfig.Ddim && Bool(root, "clip_sample", d.ClipSample),
                ClipSampleRange = Double(root, "clip_sample_range", d.ClipSampleRange),
                FinalSigmasType = String(root, "final_sigmas_type") ?? d.FinalSigmasType,
            }.Validate();
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {JsonFiles.Reason(e)}"); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: a field has the wrong JSON type ({JsonFiles.Line(e.Message)})");
        }
    }

    /// <summary>Writes every field <see cref="Read(string)"/> reads, under diffusers' names.</summary>
    public static void Write(SchedulerConfig c, string path)
    {
        var o = new JsonObject
        {
            ["_class_name"] = c.ClassName, ["num_train_timesteps"] = c.NumTrainTimesteps, ["beta_start"] = c.BetaStart, ["beta_end"] = c.BetaEnd,
            ["beta_schedule"] = c.BetaSchedule, ["steps_offset"] = c.StepsOffset, ["timestep_spacing"] = c.TimestepSpacing,
            ["prediction_type"] = c.PredictionType, ["set_alpha_to_one"] = c.SetAlphaToOne, ["clip_sample"] = c.ClipSample,
            ["clip_sample_range"] = c.ClipSampleRange, ["final_sigmas_type"] = c.FinalSigmasType,
        };
        File.WriteAllText(path, o.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
