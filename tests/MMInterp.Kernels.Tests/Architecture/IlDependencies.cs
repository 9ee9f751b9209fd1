using Mono.Cecil;
using Mono.Cecil.Cil;

namespace MMInterp.Kernels.Tests.Architecture;

/// <summary>
/// The namespace edges of the built Kernels assembly, read from its IL with Mono.Cecil: base types, interfaces,
/// attributes, field/property/method signatures, locals, catch clauses and every type, method and field a method body
/// uses (generic arguments included). This sees what names resolved to, so neither a relatively qualified name
/// ("Sae.TopKSae") nor a type reached through `var` escapes it; each edge is placed in its source file through the
/// portable PDB. What the compiler folds away (constants, nameof) leaves no trace here: <see cref="SourceDependencies"/>
/// covers that.
/// </summary>
public static class IlDependencies
{
    const string Root = "MMInterp.Kernels.";

    public static IReadOnlyList<DependencyEdge> Of(string assemblyPath)
    {
        var parameters = new ReaderParameters { ReadSymbols = true, SymbolReaderProvider = new PortablePdbReaderProvider() };
        using var module = ModuleDefinition.ReadModule(assemblyPath, parameters);
        var edges = new List<DependencyEdge>();
        foreach (var type in module.GetTypes())
        {
            if (TopNamespace(type) is not { } from) continue;
            var typeFile = FileOf(type);
            void Add(TypeReference? used, string file)
            {
                foreach (var t in Named(used))
                    if (TopNamespace(t) is { } to && to != from) edges.Add(new DependencyEdge(from, to, file, t.FullName));
            }
            void Attributes(ICustomAttributeProvider provider, string file)
            {
                foreach (var a in provider.CustomAttributes)
                {
                    Add(a.AttributeType, file);
                    // typeof(...) arguments of attributes, e.g. [JsonConverter(typeof(X))].
                    foreach (var arg in a.ConstructorArguments.Concat(a.Properties.Select(p => p.Argument)).Concat(a.Fields.Select(f => f.Argument)))
                        if (arg.Value is TypeReference t) Add(t, file);
                }
            }
            void Generics(IGenericParameterProvider provider, string file)
            {
                foreach (var g in provider.GenericParameters)
                    foreach (var c in g.Constraints) Add(c.ConstraintType, file);
            }

            Add(type.BaseType, typeFile);
            foreach (var i in type.Interfaces) Add(i.InterfaceType, typeFile);
            Attributes(type, typeFile);
            Generics(type, typeFile);
            foreach (var f in type.Fields) { Add(f.FieldType, typeFile); Attributes(f, typeFile); }
            foreach (var p in type.Properties) { Add(p.PropertyType, typeFile); Attributes(p, typeFile); }
            foreach (var e in type.Events) Add(e.EventType, typeFile);
            foreach (var m in type.Methods)
            {
                var file = FileOf(m) ?? typeFile;
                Add(m.ReturnType, file);
                foreach (var p in m.Parameters) { Add(p.ParameterType, file); Attributes(p, file); }
                Attributes(m, file);
                Generics(m, file);
                foreach (var o in m.Overrides) Add(o.DeclaringType, file);
                if (!m.HasBody) continue;
                foreach (var v in m.Body.Variables) Add(v.VariableType, file);
                foreach (var h in m.Body.ExceptionHandlers) Add(h.CatchType, file);
                foreach (var instruction in m.Body.Instructions)
                    switch (instruction.Operand)
                    {
                        case TypeReference t:
                            Add(t, file);
                            break;
                        case MethodReference called:
                            Add(called.DeclaringType, file);
                            if (called is GenericInstanceMethod generic)
                                foreach (var a in generic.GenericArguments) Add(a, file);
                            break;
                        case FieldReference field:
                            Add(field.DeclaringType, file);
                            break;
                        case CallSite site:
                            Add(site.ReturnType, file);
                            foreach (var p in site.Parameters) Add(p.ParameterType, file);
                            break;
                    }
            }
        }
        return edges;
    }

    /// <summary>"Interp" for MMInterp.Kernels.Interp.Vlm.X (nested types by their outermost type); null outside Kernels
    /// and for compiler-generated types at the root (&lt;PrivateImplementationDetails&gt;).</summary>
    public static string? TopNamespace(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        var ns = type.Namespace;
        if (!ns.StartsWith(Root, StringComparison.Ordinal)) return null;
        var rest = ns[Root.Length..];
        var dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    /// <summary>The named types inside a type reference: X[] and ref X are X, List&lt;X&gt; is List and X, T is nothing.</summary>
    static IEnumerable<TypeReference> Named(TypeReference? type)
    {
        switch (type)
        {
            case null:
            case GenericParameter:
                yield break;
            case GenericInstanceType generic:
                foreach (var t in Named(generic.ElementType)) yield return t;
                foreach (var a in generic.GenericArguments)
                    foreach (var t in Named(a)) yield return t;
                break;
            case FunctionPointerType pointer:
                foreach (var t in Named(pointer.ReturnType)) yield return t;
                foreach (var p in pointer.Parameters)
                    foreach (var t in Named(p.ParameterType)) yield return t;
                break;
            case IModifierType modified:
                foreach (var t in Named(modified.ModifierType)) yield return t;
                foreach (var t in Named(modified.ElementType)) yield return t;
                break;
            case TypeSpecification spec:
                foreach (var t in Named(spec.ElementType)) yield return t;
                break;
            default:
                yield return type;
                break;
        }
    }

    /// <summary>A type's source file: that of its first method with lines, else of a type declaring it (compiler-made
    /// closures and delegate caches have no lines of their own), else of a type nested in it.</summary>
    static string FileOf(TypeDefinition type)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
            if (Within(t) is { } file) return file;
        return $"(type {type.FullName}: no source lines)";
    }

    static string? Within(TypeDefinition type) =>
        type.Methods.Select(FileOf).FirstOrDefault(f => f is not null) ?? type.NestedTypes.Select(Within).FirstOrDefault(f => f is not null);

    /// <summary>The method's source file relative to src/Kernels (the PDB keeps the path the build saw), or null for a
    /// method without sequence points (abstract, extern, compiler-generated without lines).</summary>
    static string? FileOf(MethodDefinition method)
    {
        if (!method.DebugInformation.HasSequencePoints) return null;
        var path = method.DebugInformation.SequencePoints[0].Document.Url.Replace('\\', '/');
        const string marker = "src/Kernels/";
        var at = path.LastIndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? path : path[(at + marker.Length)..];
    }
}
