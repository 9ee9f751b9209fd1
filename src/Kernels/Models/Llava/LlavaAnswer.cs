namespace MMInterp.Kernels.Models.Llava;

/// <summary>One greedy answer: the prompt as the template wrote it, its ids (one image token per image, before
/// expansion), the sequence length the decoder saw (image tokens expanded), and the continuation.</summary>
public sealed record LlavaAnswer(string Prompt, long[] PromptIds, int MergedLength, long[] Ids, string Text, string? TemplateNote);
