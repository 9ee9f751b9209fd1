using System.Globalization;
using System.Text.Json.Nodes;
using MMInterp.Grains.Contracts.Experiments;
using MMInterp.Grains.Registry;
using Xunit;

namespace MMInterp.Grains.Tests.Registry;

/// <summary>
/// Feature search against a real PostgreSQL: a dictionary of seeded random features (some values missing or of the
/// wrong type) is queried with each filter, and every answer must be exactly the features a plain C# predicate over
/// the same generated data picks, in the order it sorts them.
/// </summary>
[Collection(RegistryCollection.Name)]
public class FeatureSearchTests(RegistryDatabase db)
{
    RegistryStore Store => db.Store;
    const int Size = 400;
    static readonly string[] Concepts = ["colour=red", "colour=green", "shape=circle", "background=black", "position=upper left"];
    static readonly string[] Words = ["red", "green", "circle", "dark red", "Upper Left", "50%_off"];

    sealed record Made(int Index, string? Concept, double? Auroc, double? Density, bool? Steerable, double? Delta, bool Dashboard, List<NewLabel> Labels, string? FreeLabel);

    async Task<(DictionaryRecord, List<Made>)> DictionaryAsync()
    {
        var model = await db.ModelAsync();
        var sae = await Store.Dictionaries.RegisterAsync(new NewDictionary(model.Id, "vision.blocks.1.hook_resid_post", SaeArchitecture.TopK, 64, Size, model.CheckpointSha256!));
        var rng = new Random(19);
        var made = new List<Made>();
        var sha = new string('a', 64);
        for (var i = 0; i < Size; i++)
        {
            var o = new JsonObject();
            string? concept = null;
            double? auroc = null;
            switch (rng.Next(4))
            {
                case 0: break;
                case 1: o["ground_truth"] = new JsonArray(1, 2); break; // wrong type: absent
                default:
                    concept = Concepts[rng.Next(Concepts.Length)];
                    auroc = Math.Round(rng.NextDouble(), 3);
                    o["ground_truth"] = new JsonObject { ["concept"] = concept, ["auroc"] = auroc };
                    break;
            }
            double? density = rng.Next(5) == 0 ? null : Math.Round(rng.NextDouble(), 4);
            if (density is { } d) o["density"] = d;
            else if (rng.Next(2) == 0) o["density"] = "high";
            bool? steerable = rng.Next(3) switch { 0 => null, 1 => true, _ => false };
            double? delta = steerable is null ? null : Math.Round(rng.NextDouble() - 0.2, 3);
            if (steerable is { } s) o["steering"] = new JsonObject { ["delta_prob"] = delta, ["steerable"] = s };
            var dashboard = rng.Next(4) == 0;
            if (dashboard) o["images"] = new JsonObject { ["top_examples"] = sha };
            else if (rng.Next(3) == 0) o["images"] = new JsonObject { ["top_examples"] = "not-a-sha", ["histogram"] = sha };
            string? free = rng.Next(3) == 0 ? Words[rng.Next(Words.Length)] : null;
            if (free is not null) o["free_labels"] = new JsonArray(new JsonObject { ["label"] = free, ["score"] = 2.5 });
            var labels = new List<NewLabel>();
            foreach (var method in new[] { LabelMethod.FreeLabel, LabelMethod.Steering, LabelMethod.GroundTruth })
                if (rng.Next(3) == 0) labels.Add(new NewLabel(i, Words[rng.Next(Words.Length)] + " " + RegistryNames.Name(method), Math.Round(rng.NextDouble(), 3), method));
            made.Add(new Made(i, concept, auroc, density, steerable, delta, dashboard, labels, free));
            o["layer"] = 1;
            _stats.Add(new FeatureStats(i, o.ToJsonString()));
        }
        await Store.Features.UpsertStatsAsync(sae.Id, _stats);
        await Store.Features.UpsertLabelsAsync(sae.Id, made.SelectMany(m => m.Labels).ToList());
        return (sae, made);
    }

    readonly List<FeatureStats> _stats = [];

    static readonly LabelMethod[] Preference = [LabelMethod.Manual, LabelMethod.Steering, LabelMethod.FreeLabel, LabelMethod.AutoInterp, LabelMethod.GroundTruth];

    static string? BestLabel(Made m) =>
        Preference.Select(p => m.Labels.Where(l => l.Method == p).OrderByDescending(l => l.Score).Select(l => l.Label).FirstOrDefault()).FirstOrDefault(l => l is not null)
        ?? m.FreeLabel;

    async Task<List<int>> AllAsync(string id, FeatureQuery q)
    {
        var result = await Store.Features.SearchAsync(id, q with { Limit = 10_000 });
        Assert.Equal(result.Rows.Count, result.Total);
        return result.Rows.Select(r => r.Index).ToList();
    }

    static bool Has(string? s, string part) => s is not null && s.Contains(part, StringComparison.OrdinalIgnoreCase);

    [Fact]
    public async Task EachFilterReturnsExactlyTheMatchingFeatures()
    {
        var (sae, made) = await DictionaryAsync();
        List<int> Expect(Func<Made, bool> keep) => made.Where(keep).Select(m => m.Index).ToList();

        Assert.Equal(Enumerable.Range(0, Size), await AllAsync(sae.Id, new FeatureQuery()));
        Assert.Equal(Expect(m => m.Labels.Any(l => Has(l.Label, "RED"))), await AllAsync(sae.Id, new FeatureQuery(LabelText: "RED")));
        // LIKE wildcards in the text match literally.
        Assert.Equal(Expect(m => m.Labels.Any(l => Has(l.Label, "50%_"))), await AllAsync(sae.Id, new FeatureQuery(LabelText: "50%_")));
        Assert.Equal(Expect(m => m.Labels.Any(l => l.Method == LabelMethod.Steering)), await AllAsync(sae.Id, new FeatureQuery(Method: LabelMethod.Steering)));
        Assert.Equal(Expect(m => m.Labels.Any(l => l.Method == LabelMethod.FreeLabel && Has(l.Label, "circle"))),
            await AllAsync(sae.Id, new FeatureQuery(LabelText: "circle", Method: LabelMethod.FreeLabel)));
        Assert.Equal(Expect(m => Has(m.Concept, "colour=")), await AllAsync(sae.Id, new FeatureQuery(Concept: "colour=")));
        Assert.Equal(Expect(m => m.Auroc is >= 0.25 and <= 0.75), await AllAsync(sae.Id, new FeatureQuery(MinAuroc: 0.25, MaxAuroc: 0.75)));
        Assert.Equal(Expect(m => m.Auroc >= 0.9), await AllAsync(sae.Id, new FeatureQuery(MinAuroc: 0.9)));
        Assert.Equal(Expect(m => m.Steerable == true), await AllAsync(sae.Id, new FeatureQuery(Steerable: true)));
        Assert.Equal(Expect(m => m.Steerable == false), await AllAsync(sae.Id, new FeatureQuery(Steerable: false)));
        Assert.Equal(Expect(m => m.Dashboard), await AllAsync(sae.Id, new FeatureQuery(HasDashboard: true)));
        Assert.Equal(Expect(m => !m.Dashboard), await AllAsync(sae.Id, new FeatureQuery(HasDashboard: false)));
        Assert.Equal(Expect(m => m.Steerable == true && m.Auroc >= 0.5 && m.Dashboard),
            await AllAsync(sae.Id, new FeatureQuery(Steerable: true, MinAuroc: 0.5, HasDashboard: true)));
        // Sanity: the data exercises every filter (none of the above passed by being empty or everything).
        Assert.InRange(made.Count(m => m.Dashboard), 20, Size - 20);
        Assert.InRange(made.Count(m => m.Steerable == true), 20, Size - 20);
    }

    [Fact]
    public async Task SortsPutMissingValuesLastAndPagesCountTheWholeMatch()
    {
        var (sae, made) = await DictionaryAsync();
        List<int> Order<T>(Func<Made, T?> key, bool descending) where T : struct
        {
            var present = made.Where(m => key(m) is not null);
            var sorted = descending ? present.OrderByDescending(m => key(m)).ThenBy(m => m.Index) : present.OrderBy(m => key(m)).ThenBy(m => m.Index);
            return sorted.Concat(made.Where(m => key(m) is null)).Select(m => m.Index).ToList();
        }
        Assert.Equal(Order(m => m.Auroc, true), await AllAsync(sae.Id, new FeatureQuery(Sort: "auroc", Descending: true)));
        Assert.Equal(Order(m => m.Density, false), await AllAsync(sae.Id, new FeatureQuery(Sort: "density")));
        Assert.Equal(Order(m => m.Delta, true), await AllAsync(sae.Id, new FeatureQuery(Sort: "steering", Descending: true)));
        Assert.Equal(Enumerable.Range(0, Size).Reverse(), await AllAsync(sae.Id, new FeatureQuery(Descending: true)));
        // The table's label column sorts by the label it shows (the trigger's best label, else the first free label).
        var byLabel = made.Where(m => BestLabel(m) is not null).OrderBy(m => BestLabel(m)!.ToLowerInvariant(), StringComparer.Ordinal).ThenBy(m => m.Index)
            .Concat(made.Where(m => BestLabel(m) is null)).Select(m => m.Index).ToList();
        Assert.Equal(byLabel, await AllAsync(sae.Id, new FeatureQuery(Sort: "label")));

        var expected = made.Where(m => m.Auroc >= 0.3).OrderByDescending(m => m.Auroc).ThenBy(m => m.Index).Select(m => m.Index).ToList();
        var page = await Store.Features.SearchAsync(sae.Id, new FeatureQuery(MinAuroc: 0.3, Sort: "auroc", Descending: true, Offset: 20, Limit: 10));
        Assert.Equal(expected.Count, page.Total);
        Assert.Equal(expected.Skip(20).Take(10), page.Rows.Select(r => r.Index));
        var past = await Store.Features.SearchAsync(sae.Id, new FeatureQuery(MinAuroc: 0.3, Offset: 5000, Limit: 10));
        Assert.Empty(past.Rows);
        Assert.Equal(expected.Count, past.Total);
    }

    [Fact]
    public async Task BadQueriesAreRefusedWithTheirReason()
    {
        var (sae, _) = await DictionaryAsync();
        Assert.Contains("sort must be one of", (await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.SearchAsync(sae.Id, new FeatureQuery(Sort: "stats; DROP TABLE x")))).Message);
        Assert.Contains("minimum AUROC 0.8 is above maximum 0.2", (await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.SearchAsync(sae.Id, new FeatureQuery(MinAuroc: 0.8, MaxAuroc: 0.2)))).Message);
        Assert.Contains("must be in [0, 1]", (await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.SearchAsync(sae.Id, new FeatureQuery(MinAuroc: 2)))).Message);
        Assert.Contains("limit must be", (await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.SearchAsync(sae.Id, new FeatureQuery(Limit: 0)))).Message);
    }

    [Fact]
    public async Task ManualLabelsAreAddedEditedAndDeletedWithTheirAuthorAndHistory()
    {
        var (sae, made) = await DictionaryAsync();
        var f = made.First(m => m.Labels.Any(l => l.Method == LabelMethod.Steering));
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var added = await Store.Features.AddManualAsync(sae.Id, f.Index, "my circle", 0.8, "alice");
        Assert.Equal((LabelMethod.Manual, "alice", "alice", 0.8), (added.Method, added.CreatedBy, added.UpdatedBy, added.Score));
        Assert.True(added.CreatedAt >= before);
        // The manual label becomes the feature's best label (the trigger) and the table sorts by it.
        Assert.Equal("my circle", await db.ScalarAsync("SELECT best_label FROM features WHERE dictionary_id = $1 AND feature_index = $2", sae.Id, f.Index));
        Assert.Equal("manual", await db.ScalarAsync("SELECT best_label_method FROM features WHERE dictionary_id = $1 AND feature_index = $2", sae.Id, f.Index));
        Assert.Equal([f.Index], await AllAsync(sae.Id, new FeatureQuery(Method: LabelMethod.Manual)));

        var edited = await Store.Features.EditManualAsync(sae.Id, f.Index, added.Id, "my square", null, "bob");
        Assert.Equal(("my square", 0.8, "alice", "bob"), (edited.Label, edited.Score, edited.CreatedBy, edited.UpdatedBy));
        Assert.Equal("my square", await db.ScalarAsync("SELECT best_label FROM features WHERE dictionary_id = $1 AND feature_index = $2", sae.Id, f.Index));

        // Only manual labels, and only on their own feature.
        var steering = (await Store.Features.GetLabelsAsync(sae.Id, f.Index)).First(l => l.Method == LabelMethod.Steering);
        Assert.Contains("only manual labels can be edited", (await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.Features.EditManualAsync(sae.Id, f.Index, steering.Id, "x", null, "bob"))).Message);
        Assert.Contains("only manual labels can be deleted", (await Assert.ThrowsAsync<ArgumentException>(() =>
            Store.Features.DeleteManualAsync(sae.Id, f.Index, steering.Id, "bob"))).Message);
        await Assert.ThrowsAsync<RegistryNotFoundException>(() => Store.Features.DeleteManualAsync(sae.Id, f.Index + 1, added.Id, "bob"));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.Features.AddManualAsync(sae.Id, f.Index, "x", 1, " "));

        var deleted = await Store.Features.DeleteManualAsync(sae.Id, f.Index, added.Id, "carol");
        Assert.Equal("my square", deleted.Label);
        Assert.DoesNotContain(await Store.Features.GetLabelsAsync(sae.Id, f.Index), l => l.Method == LabelMethod.Manual);
        Assert.Equal(BestLabel(f), await db.ScalarAsync("SELECT best_label FROM features WHERE dictionary_id = $1 AND feature_index = $2", sae.Id, f.Index));
        Assert.Empty(await AllAsync(sae.Id, new FeatureQuery(Method: LabelMethod.Manual)));

        var history = await Store.Features.GetLabelHistoryAsync(sae.Id, f.Index);
        Assert.Equal([("delete", "carol", "my square", (string?)null), ("edit", "bob", "my square", "my square"), ("add", "alice", null, "my circle")],
            history.Select(h => (h.Action, h.Author, h.Action == "edit" ? h.NewLabel : h.OldLabel, h.Action == "delete" ? null : h.NewLabel)));
        Assert.Equal("my circle", history[1].OldLabel);
        Assert.All(history, h => Assert.True(h.At >= before));
    }
}
