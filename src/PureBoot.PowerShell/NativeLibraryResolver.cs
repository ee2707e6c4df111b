using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace PureBoot.PowerShell;

/// <summary>
/// pwsh does not read a module's .deps.json, so the runtime does not know where the module's native SQLite
/// (libe_sqlite3.so) is. This resolver looks for it in the module folder (flat layout from a RID-specific publish)
/// and in runtimes/&lt;rid&gt;/native (portable layout). It only answers for e_sqlite3 and only with files from the
/// module folder. No PowerShell types here: the layout test calls it from a plain .NET process.
/// </summary>
public static class NativeLibraryResolver
{
    static int _registered;

    /// <summary>The folder holding PureBoot.dll.</summary>
    public static string ModuleDirectory =>
        Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) ?? AppContext.BaseDirectory;

    /// <summary>Hooks the resolver into the load contexts that may load SQLitePCLRaw (once per process).</summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1) return;
        var contexts = new HashSet<AssemblyLoadContext> { AssemblyLoadContext.Default };
        if (AssemblyLoadContext.GetLoadContext(typeof(NativeLibraryResolver).Assembly) is { } own) contexts.Add(own);
        foreach (var alc in contexts) alc.ResolvingUnmanagedDll += Resolve;
    }

    /// <summary>ResolvingUnmanagedDll handler: runs only after the runtime's own probing failed.</summary>
    public static IntPtr Resolve(Assembly requestingAssembly, string libraryName)
    {
        if (!libraryName.Contains("e_sqlite3", StringComparison.OrdinalIgnoreCase)) return IntPtr.Zero;
        foreach (var path in Candidates(ModuleDirectory, libraryName))
        {
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle)) return handle;
        }
        return IntPtr.Zero;
    }

    /// <summary>The files tried, in order, for <paramref name="libraryName"/> under <paramref name="directory"/>.</summary>
    public static IEnumerable<string> Candidates(string directory, string libraryName)
    {
        var bare = Path.GetFileNameWithoutExtension(libraryName);
        if (bare.StartsWith("lib", StringComparison.Ordinal)) bare = bare[3..];
        string[] files = OperatingSystem.IsWindows() ? new[] { bare + ".dll" }
            : OperatingSystem.IsMacOS() ? new[] { "lib" + bare + ".dylib", bare + ".dylib" }
            : new[] { "lib" + bare + ".so", bare + ".so" };
        foreach (var f in files) yield return Path.Combine(directory, f);
        foreach (var rid in RuntimeIds())
            foreach (var f in files) yield return Path.Combine(directory, "runtimes", rid, "native", f);
    }

    static IEnumerable<string> RuntimeIds()
    {
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        if (OperatingSystem.IsWindows()) { yield return "win-" + arch; yield break; }
        if (OperatingSystem.IsMacOS()) { yield return "osx-" + arch; yield break; }
        var musl = File.Exists("/etc/alpine-release");
        if (musl) yield return "linux-musl-" + arch;
        yield return "linux-" + arch;
        yield return RuntimeInformation.RuntimeIdentifier;
    }
}
