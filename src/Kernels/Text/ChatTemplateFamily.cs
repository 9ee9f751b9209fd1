namespace MMInterp.Kernels.Text;

/// <summary>The prompt formats ChatTemplate renders (see its remarks for why families and not Jinja).</summary>
public enum ChatTemplateFamily
{
    /// <summary>LLaVA-1.5 (Vicuna): "USER: &lt;image&gt;\n{question} ASSISTANT:".</summary>
    Llava15,
    /// <summary>ChatML (Qwen2): "&lt;|im_start|&gt;user\n...&lt;|im_end|&gt;\n&lt;|im_start|&gt;assistant\n".</summary>
    ChatMl,
    /// <summary>Llama-2 chat: "&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;...&lt;&lt;/SYS&gt;&gt;\n\n{question} [/INST]".</summary>
    Llama2,
}
