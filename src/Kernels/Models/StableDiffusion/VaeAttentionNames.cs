namespace MMInterp.Kernels.Models.StableDiffusion;

/// <summary>
/// diffusers before 0.14 saved the VAE's mid-block attention as AttentionBlock with linears named query, key, value and
/// proj_attn (group_norm unchanged); later versions name them to_q, to_k, to_v, to_out.0. Both load.
/// </summary>
public static class VaeAttentionNames
{
    static readonly (string Old, string New)[] Renames =
        [(".query.", ".to_q."), (".key.", ".to_k."), (".value.", ".to_v."), (".proj_attn.", ".to_out.0.")];

    /// <summary>The current name of a stored key (unchanged unless it is an old attention name).</summary>
    public static string Current(string key)
    {
        if (!key.Contains(".attentions.", StringComparison.Ordinal)) return key;
        foreach (var (old, current) in Renames)
            if (key.Contains(old, StringComparison.Ordinal)) return key.Replace(old, current, StringComparison.Ordinal);
        return key;
    }

    /// <summary>The pre-0.14 name of a current key (what an old file holds).</summary>
    public static string Legacy(string key)
    {
        if (!key.Contains(".attentions.", StringComparison.Ordinal)) return key;
        foreach (var (old, current) in Renames)
            if (key.Contains(current, StringComparison.Ordinal)) return key.Replace(current, old, StringComparison.Ordinal);
        return key;
    }
}
