namespace MMInterp.Kernels.Text;

/// <summary>A token HF adds on top of the model's own vocabulary (tokenizer_config.json's added_tokens_decoder,
/// added_tokens.json, tokenizer.json's added_tokens): matched in the raw text before the model's tokeniser runs, e.g.
/// LLaVA's &lt;image&gt; or Qwen2's &lt;|im_start|&gt;. Special ones are dropped by a decode that skips specials.</summary>
public sealed record AddedToken(string Content, int Id, bool Special);
