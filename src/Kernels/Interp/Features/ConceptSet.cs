using MMInterp.Kernels.ShapesWorld;

namespace MMInterp.Kernels.Interp.Features;

/// <summary>The ground-truth concepts and, for each image, which of them hold: one binary concept per attribute value
/// (some object has it), the background (black, grey), "has a text overlay" and, per colour and shape word, "this word
/// is written on the image".</summary>
public sealed class ConceptSet
{
    // Before Standard: static initialisers run in text order.
    static readonly List<string> WordList = [.. AttributeWords.Colours, .. AttributeWords.Shapes];

    ConceptSet(IReadOnlyList<Concept> concepts, bool[,] labels)
    {
        Concepts = concepts;
        Labels = labels;
    }

    public IReadOnlyList<Concept> Concepts { get; }

    /// <summary>[images, concepts]: true where the image shows the concept.</summary>
    public bool[,] Labels { get; }

    public int Images => Labels.GetLength(0);

    /// <summary>Every ShapesWorld concept in a fixed order: per attribute its values, then background, overlay and the
    /// written words (colour words, then shape words).</summary>
    public static IReadOnlyList<Concept> Standard { get; } = BuildStandard();

    /// <summary>Prompts of the standard concepts.</summary>
    public static IReadOnlyList<string> StandardVocabulary => Standard.Select(c => c.Prompt).ToList();

    /// <summary>The group of the written-word concepts ("word=blue").</summary>
    public const string WordGroup = "word";

    /// <summary>Words a ShapesWorld image can carry: the colour words, then the shape words.</summary>
    public static IReadOnlyList<string> WrittenWords => WordList;

    /// <summary>Groups whose values the zoo CLIP's captions name: the object attributes and the written word (captions say
    /// "with the word blue"). Captions never mention the background, so the text tower has no embedding for it that a
    /// free label could match. Concept recovery's headline share is taken over these groups.</summary>
    public static IReadOnlyList<string> CaptionGroups { get; } = [.. ObjectGroups, WordGroup];

    /// <summary>The object attributes' groups: what a model whose captions never named a written word (zoo recipes
    /// before clip-zoo/4) can name.</summary>
    public static IReadOnlyList<string> ObjectGroups => Enum.GetValues<ObjectAttribute>().Select(a => a.ToString().ToLowerInvariant()).ToList();

    /// <summary>Prompts of the standard concepts of <paramref name="groups"/>.</summary>
    public static IReadOnlyList<string> VocabularyOf(IEnumerable<string> groups)
    {
        var set = groups.ToHashSet();
        return Standard.Where(c => set.Contains(c.Group)).Select(c => c.Prompt).ToList();
    }

    /// <summary>Prompts of the concepts in <see cref="CaptionGroups"/>: the default free-label vocabulary.</summary>
    public static IReadOnlyList<string> CaptionVocabulary => VocabularyOf(CaptionGroups);

    static List<Concept> BuildStandard()
    {
        var list = new List<Concept>();
        foreach (var attribute in Enum.GetValues<ObjectAttribute>())
        {
            var group = attribute.ToString().ToLowerInvariant();
            var words = AttributeWords.Words(attribute);
            for (var v = 0; v < words.Length; v++)
                list.Add(new Concept($"{group}={words[v]}", group, words[v], Captions.Prompt(attribute, v)));
        }
        foreach (var w in AttributeWords.Backgrounds)
            list.Add(new Concept($"background={w}", "background", w, $"a photo of a {w} background"));
        list.Add(new Concept("overlay=word", "overlay", "word", "a photo with a word written on the image"));
        foreach (var w in WrittenWords)
            list.Add(new Concept($"{WordGroup}={w}", WordGroup, w, Captions.WordPhrase(w)));
        return list;
    }

    /// <summary>Labels every scene with the standard concepts.</summary>
    public static ConceptSet FromScenes(IReadOnlyList<Scene> scenes)
    {
        if (scenes.Count == 0) throw new ArgumentException("no scenes to label", nameof(scenes));
        var concepts = Standard;
        var labels = new bool[scenes.Count, concepts.Count];
        var attributes = Enum.GetValues<ObjectAttribute>();
        // Offsets of each attribute's first value in Standard (values are listed in attribute order).
        var offset = new Dictionary<ObjectAttribute, int>();
        var at = 0;
        foreach (var a in attributes) { offset[a] = at; at += AttributeWords.Count(a); }
        var backgroundAt = at;
        var overlayAt = at + AttributeWords.Backgrounds.Length;
        var wordAt = overlayAt + 1;
        for (var i = 0; i < scenes.Count; i++)
        {
            var s = scenes[i];
            foreach (var o in s.Objects)
                foreach (var a in attributes) labels[i, offset[a] + o.Value(a)] = true;
            labels[i, backgroundAt + (int)s.Background] = true;
            labels[i, overlayAt] = s.Overlay is not null;
            if (s.Overlay is { } overlay)
            {
                var w = WordList.IndexOf(overlay.Word);
                if (w >= 0) labels[i, wordAt + w] = true;
            }
        }
        return new ConceptSet(concepts, labels);
    }

    /// <summary>Concepts of a labelled dataset: each label name is one concept (group "label"), true for the images
    /// that carry that label (an unlabelled image is negative for all of them).</summary>
    /// <param name="labels">per image, an index into <paramref name="names"/> or null</param>
    public static ConceptSet FromLabels(IReadOnlyList<string> names, IReadOnlyList<int?> labels)
    {
        if (names.Count == 0) throw new ArgumentException("a labelled concept set needs label names", nameof(names));
        if (labels.Count == 0) throw new ArgumentException("no images to label", nameof(labels));
        var concepts = names.Select(n => new Concept($"{LabelGroup}={n}", LabelGroup, n, n)).ToList();
        var table = new bool[labels.Count, names.Count];
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] is not { } l) continue;
            if (l < 0 || l >= names.Count) throw new ArgumentException($"image {i} has label {l}, but there are {names.Count} label names", nameof(labels));
            table[i, l] = true;
        }
        return new ConceptSet(concepts, table);
    }

    /// <summary>The group of a dataset's label concepts.</summary>
    public const string LabelGroup = "label";

    /// <summary>Images showing concept c.</summary>
    public int Positives(int c)
    {
        var n = 0;
        for (var i = 0; i < Images; i++) if (Labels[i, c]) n++;
        return n;
    }
}
