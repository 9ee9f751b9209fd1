using MMInterp.Kernels.Models.Vlm;
using MMInterp.Kernels.Zoo;
using Xunit;

namespace MMInterp.Kernels.Tests.Vlm;

/// <summary>Where the answer is predicted: after "?" (vlm-zoo/1-3) or at the question's last word (vlm-zoo/4, where the
/// shape word itself asks the image). A saved vocabulary keeps its choice, so older checkpoints read questions as they
/// were trained.</summary>
public class VlmVocabularyTests
{
    const string Question = "what colour is the circle?";

    [Fact]
    public void WithoutQuestionMarkTheAnswerPositionIsTheObjectsName()
    {
        var vocabulary = VlmQuestions.Vocabulary(questionMark: false);
        Assert.False(vocabulary.Contains(VlmVocabulary.QuestionMark));
        Assert.Equal(["what", "colour", "is", "the", "circle"], vocabulary.Words(Question));
        var (ids, lengths) = vocabulary.EncodeBatch([Question, "how many objects are there?"], 8);
        Assert.Equal([5L, 5L], lengths.data<long>().ToArray());
        Assert.Equal(vocabulary.Id("circle"), ids[0, 4].item<long>());
        Assert.Equal(0L, ids[0, 5].item<long>()); // padding
    }

    [Fact]
    public void WithQuestionMarkItIsATokenOfItsOwn()
    {
        var vocabulary = VlmQuestions.Vocabulary(questionMark: true);
        Assert.Equal(["what", "colour", "is", "the", "circle", "?"], vocabulary.Words(Question));
        Assert.Equal(vocabulary.Id("?"), vocabulary.Encode(Question)[^1]);
    }

    [Fact]
    public void ASavedVocabularyKeepsItsChoice()
    {
        var dir = Directory.CreateTempSubdirectory("mminterp-vocab-").FullName;
        try
        {
            foreach (var mark in new[] { false, true })
            {
                VlmQuestions.Vocabulary(mark).Save(dir);
                var loaded = VlmVocabulary.Load(dir);
                Assert.Equal(mark ? 6 : 5, loaded.Encode(Question).Length);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
