using System.Reflection;
using System.Text.RegularExpressions;
using MMInterp.Grains.Contracts.Jobs;
using Xunit;

namespace MMInterp.Grains.Tests.Contracts;

/// <summary>
/// Contracts are what callers of the grains see; they stand below the registry's SQL layer and the grains themselves.
/// No contract type may name a type of the rest of MMInterp.Grains (Registry, grains, lifecycle) or of Npgsql, in its
/// signatures (reflection) or in its source (a call inside a method body, which reflection does not show).
/// </summary>
public sealed class ContractLayerTests
{
    static readonly Assembly Grains = typeof(JobProgress).Assembly;

    static bool IsContract(Type t) => t.Namespace?.StartsWith("MMInterp.Grains.Contracts", StringComparison.Ordinal) == true;

    static bool IsForbidden(Type t) =>
        t.Assembly == Grains ? !IsContract(t) && t.Namespace?.StartsWith("MMInterp.Grains", StringComparison.Ordinal) == true
            : t.Namespace?.StartsWith("Npgsql", StringComparison.Ordinal) == true;

    static IEnumerable<Type> Named(Type t)
    {
        if (t.HasElementType) return Named(t.GetElementType()!);
        return t.IsGenericType ? t.GetGenericArguments().SelectMany(Named).Prepend(t) : [t];
    }

    static IEnumerable<Type> Signature(Type t)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var types = new List<Type>(t.GetInterfaces());
        if (t.BaseType is { } b) types.Add(b);
        types.AddRange(t.GetFields(all).Select(f => f.FieldType));
        types.AddRange(t.GetProperties(all).Select(p => p.PropertyType));
        foreach (var m in t.GetMethods(all).Cast<MethodBase>().Concat(t.GetConstructors(all)))
        {
            types.AddRange(m.GetParameters().Select(p => p.ParameterType));
            if (m is MethodInfo mi) types.Add(mi.ReturnType);
        }
        return types.SelectMany(Named);
    }

    [Fact]
    public void ContractSignaturesNameNoRegistryGrainOrNpgsqlType()
    {
        var contracts = Grains.GetTypes().Where(IsContract).Where(t => !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))).ToList();
        Assert.Contains(typeof(ISweepGrain), contracts);
        var bad = contracts.SelectMany(t => Signature(t).Where(IsForbidden).Select(u => $"{t.Name} -> {u.FullName}")).Distinct().ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));
    }

    [Fact]
    public void ContractSourcesImportNoRegistryGrainOrNpgsqlNamespace()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MMInterp.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var files = Directory.GetFiles(Path.Combine(dir.FullName, "src", "Grains", "Contracts"), "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        var forbidden = new Regex(@"MMInterp\.Grains\.(?!Contracts\b)\w+|\bNpgsql\b");
        var bad = files.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => forbidden.IsMatch(x.line)).Select(x => $"{Path.GetFileName(x.f)}:{x.i + 1}: {x.line.Trim()}").ToList();
        Assert.True(bad.Count == 0, string.Join("; ", bad));
    }
}
