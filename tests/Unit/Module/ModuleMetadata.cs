using System.Collections.ObjectModel;
using System.Reflection;
using System.Runtime.InteropServices;

namespace PureBoot.Tests.Unit.Module;

/// <summary>
/// Reads PureBoot.dll's cmdlets through MetadataLoadContext: no PowerShell is needed (or can run here), and the
/// System.Management.Automation reference assembly from PowerShellStandard.Library is enough to read attributes.
/// </summary>
public sealed class ModuleMetadata : IDisposable
{
    const string Sma = "System.Management.Automation";

    readonly MetadataLoadContext _mlc;

    public Assembly Module { get; }
    public Assembly Core { get; }
    public IReadOnlyList<CmdletMeta> Cmdlets { get; }
    public static string RepoRoot { get; } = FindRepoRoot();

    static readonly Lazy<ModuleMetadata> Shared = new(() => new ModuleMetadata());
    public static ModuleMetadata Instance => Shared.Value;

    ModuleMetadata()
    {
        var bin = AppContext.BaseDirectory;
        var paths = new List<string>(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
        paths.AddRange(Directory.GetFiles(bin, "*.dll"));
        paths.Add(SmaReferencePath());
        _mlc = new MetadataLoadContext(new PathAssemblyResolver(paths));
        Module = _mlc.LoadFromAssemblyPath(Path.Combine(bin, "PureBoot.dll"));
        Core = _mlc.LoadFromAssemblyPath(Path.Combine(bin, "PureBoot.Core.dll"));
        Cmdlets = Module.GetTypes().Where(t => t.IsClass && !t.IsAbstract && t.IsPublic)
            .Select(CmdletMeta.TryRead).Where(c => c is not null).Select(c => c!).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    public CmdletMeta Cmdlet(string name) => Cmdlets.SingleOrDefault(c => c.Name == name)
        ?? throw new InvalidOperationException($"No cmdlet {name} in PureBoot.dll");

    public Type CoreType(string fullName) => Core.GetType(fullName, throwOnError: true)!;

    public Type SmaType(string fullName) => _mlc.LoadFromAssemblyName(Sma).GetType(fullName, throwOnError: true)!;

    /// <summary>Public instance properties of a type, including inherited ones.</summary>
    public static IReadOnlyList<string> PropertyNames(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).Distinct().ToList();

    static string SmaReferencePath()
    {
        var dir = typeof(ModuleMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "PowerShellStandardLibrary")?.Value;
        var candidates = new List<string>();
        // The package folder of the version the csproj references (Directory.Build.props), set at build time.
        if (!string.IsNullOrEmpty(dir)) candidates.Add(Path.Combine(dir, "lib", "netstandard2.0", Sma + ".dll"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("System.Management.Automation reference assembly (PowerShellStandard.Library) not found: " + string.Join(", ", candidates));
    }

    static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PureBoot.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("PureBoot.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose() => _mlc.Dispose();
}

public sealed record ParameterMeta(
    string Name, Type Type, IReadOnlyList<string> Aliases, bool ByPropertyName, bool ByValue,
    IReadOnlyList<(string Set, bool Mandatory, int Position)> Sets, IReadOnlyList<string> Attributes, Type? Completer, string DeclaringType)
{
    public bool MandatoryInAnySet => Sets.Any(s => s.Mandatory);
    public int Position => Sets.Select(s => s.Position).DefaultIfEmpty(int.MinValue).Max();
    public IEnumerable<string> NamesAndAliases => Aliases.Prepend(Name);
}

public sealed record CmdletMeta(
    Type Type, string Verb, string Noun, bool SupportsShouldProcess, int ConfirmImpact, string? DefaultParameterSet,
    IReadOnlyList<(Type Type, string? Set)> OutputTypes, IReadOnlyList<ParameterMeta> Parameters)
{
    public string Name => $"{Verb}-{Noun}";
    public ParameterMeta Parameter(string name) => Parameters.Single(p => p.Name == name);

    // System.Management.Automation.ConfirmImpact: None = 0, Low, Medium, High.
    public const int ConfirmImpactHigh = 3;

    public static CmdletMeta? TryRead(Type t)
    {
        var cmdlet = t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
        if (cmdlet is null) return null;
        var verb = (string)cmdlet.ConstructorArguments[0].Value!;
        var noun = (string)cmdlet.ConstructorArguments[1].Value!;
        bool ssp = false; int impact = 2; string? defaultSet = null;
        foreach (var n in cmdlet.NamedArguments)
        {
            if (n.MemberName == "SupportsShouldProcess") ssp = (bool)n.TypedValue.Value!;
            if (n.MemberName == "ConfirmImpact") impact = Convert.ToInt32(n.TypedValue.Value);
            if (n.MemberName == "DefaultParameterSetName") defaultSet = (string?)n.TypedValue.Value;
        }
        var outputs = new List<(Type, string?)>();
        foreach (var o in t.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute"))
        {
            string? set = null;
            foreach (var n in o.NamedArguments.Where(n => n.MemberName == "ParameterSetName"))
                set = string.Join(",", ((ReadOnlyCollection<CustomAttributeTypedArgument>)n.TypedValue.Value!).Select(v => (string)v.Value!));
            foreach (var arg in o.ConstructorArguments)
            {
                var values = arg.Value as ReadOnlyCollection<CustomAttributeTypedArgument>;
                foreach (var v in values ?? new ReadOnlyCollection<CustomAttributeTypedArgument>(new[] { arg }))
                    if (v.Value is Type type) outputs.Add((type, set));
            }
        }
        var parameters = new List<ParameterMeta>();
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var attrs = p.GetCustomAttributesData();
            var pa = attrs.Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute").ToList();
            if (pa.Count == 0) continue;
            var sets = new List<(string, bool, int)>();
            bool byProp = false, byValue = false;
            foreach (var a in pa)
            {
                string set = "__AllParameterSets"; bool mandatory = false; int position = int.MinValue;
                foreach (var n in a.NamedArguments)
                {
                    switch (n.MemberName)
                    {
                        case "Mandatory": mandatory = (bool)n.TypedValue.Value!; break;
                        case "Position": position = (int)n.TypedValue.Value!; break;
                        case "ParameterSetName": set = (string)n.TypedValue.Value!; break;
                        case "ValueFromPipelineByPropertyName": byProp |= (bool)n.TypedValue.Value!; break;
                        case "ValueFromPipeline": byValue |= (bool)n.TypedValue.Value!; break;
                    }
                }
                sets.Add((set, mandatory, position));
            }
            var aliases = attrs.Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
                .SelectMany(a => ((ReadOnlyCollection<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!)).ToList();
            var completer = attrs.FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.ArgumentCompleterAttribute")?
                .ConstructorArguments.Select(c => c.Value).OfType<Type>().FirstOrDefault();
            parameters.Add(new ParameterMeta(p.Name, p.PropertyType, aliases, byProp, byValue, sets,
                attrs.Select(a => a.AttributeType.Name).ToList(), completer, p.DeclaringType!.Name));
        }
        return new CmdletMeta(t, verb, noun, ssp, impact, defaultSet, outputs, parameters.OrderBy(p => p.Position < 0 ? int.MaxValue : p.Position).ThenBy(p => p.Name, StringComparer.Ordinal).ToList());
    }
}
