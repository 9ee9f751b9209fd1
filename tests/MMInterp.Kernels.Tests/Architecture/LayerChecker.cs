namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>One use of namespace <see cref="To"/> by code of namespace <see cref="From"/> (top-level Kernels
/// namespaces, e.g. "Interp"), found in <see cref="File"/>; <see cref="Via"/> says what was used.</summary>
public sealed record DependencyEdge(string From, string To, string File, string Via);

/// <summary>Judges a list of edges against the layers: every namespace must have a layer, no edge may point to a
/// higher layer, and the namespace graph must be acyclic. Each problem is one line naming the edge, its files and what
/// the code used, so the failure says where to look.</summary>
public static class LayerChecker
{
    /// <summary>How many files are named per offending edge (the rest are counted).</summary>
    const int FilesShown = 4;

    public static IReadOnlyList<string> Violations(IReadOnlyList<Layer> layers, IEnumerable<DependencyEdge> edges)
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < layers.Count; i++)
            foreach (var ns in layers[i].Namespaces)
                if (!rank.TryAdd(ns, i)) throw new ArgumentException($"namespace {ns} is in two layers ({layers[rank[ns]].Name}, {layers[i].Name})");
        var byEdge = edges.Where(e => e.From != e.To)
            .GroupBy(e => (e.From, e.To))
            .OrderBy(g => g.Key.From, StringComparer.Ordinal).ThenBy(g => g.Key.To, StringComparer.Ordinal)
            .ToList();
        var problems = new List<string>();

        foreach (var ns in byEdge.SelectMany(g => new[] { (Ns: g.Key.From, Edge: g), (Ns: g.Key.To, Edge: g) })
                     .Where(x => !rank.ContainsKey(x.Ns)).GroupBy(x => x.Ns).OrderBy(g => g.Key, StringComparer.Ordinal))
            problems.Add($"namespace MMInterp.Kernels.{ns.Key} is in no layer (seen in {Files(ns.SelectMany(x => x.Edge))}): " +
                         "place it in KernelLayers.Order and in docs/ARCHITECTURE.md");

        foreach (var g in byEdge.Where(g => rank.ContainsKey(g.Key.From) && rank.ContainsKey(g.Key.To) && rank[g.Key.To] > rank[g.Key.From]))
            problems.Add($"upward edge {g.Key.From} ({layers[rank[g.Key.From]].Name}) -> {g.Key.To} ({layers[rank[g.Key.To]].Name}): {Files(g)}");

        var graph = byEdge.ToLookup(g => g.Key.From, g => g.Key.To);
        foreach (var component in StronglyConnected(byEdge.SelectMany(g => new[] { g.Key.From, g.Key.To }).Distinct().ToList(), graph))
        {
            if (component.Count < 2) continue;
            // Name one shortest cycle of the component, edge by edge with its files: enough to see what to cut.
            var cycle = ShortestCycle(component, graph);
            var steps = cycle.Zip(cycle.Skip(1).Append(cycle[0])).Select(p => byEdge.First(g => g.Key == p)).ToList();
            problems.Add($"cycle {string.Join(" -> ", cycle.Append(cycle[0]))} (among {string.Join(", ", component.Order(StringComparer.Ordinal))}): " +
                         string.Join("; ", steps.Select(g => $"{g.Key.From} -> {g.Key.To} in {Files(g)}")));
        }
        return problems;
    }

    static string Files(IEnumerable<DependencyEdge> edges)
    {
        var byFile = edges.GroupBy(e => e.File).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var shown = byFile.Take(FilesShown).Select(f => $"{f.Key} ({string.Join(", ", f.Select(e => e.Via).Distinct().Order(StringComparer.Ordinal).Take(3))})");
        var more = byFile.Count > FilesShown ? $" and {byFile.Count - FilesShown} more files" : "";
        return string.Join(", ", shown) + more;
    }

    /// <summary>The shortest cycle inside a strongly connected component (breadth-first from each node, in name order).</summary>
    static IReadOnlyList<string> ShortestCycle(HashSet<string> component, ILookup<string, string> graph)
    {
        List<string>? best = null;
        foreach (var start in component.Order(StringComparer.Ordinal))
        {
            var parent = new Dictionary<string, string>();
            var queue = new Queue<string>([start]);
            while (queue.Count > 0)
            {
                var v = queue.Dequeue();
                var back = graph[v].Contains(start);
                if (back)
                {
                    var path = new List<string> { v };
                    while (path[^1] != start) path.Add(parent[path[^1]]);
                    path.Reverse();
                    if (best is null || path.Count < best.Count) best = path;
                    break;
                }
                foreach (var w in graph[v].Where(component.Contains).Order(StringComparer.Ordinal))
                    if (w != start && parent.TryAdd(w, v)) queue.Enqueue(w);
            }
        }
        return best ?? throw new InvalidOperationException("a strongly connected component of two or more nodes has a cycle");
    }

    /// <summary>Tarjan's strongly connected components; a component of two or more namespaces is a cycle.</summary>
    static List<HashSet<string>> StronglyConnected(IReadOnlyList<string> nodes, ILookup<string, string> graph)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<HashSet<string>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph[v])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new HashSet<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            result.Add(component);
        }
        foreach (var v in nodes)
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }
}
