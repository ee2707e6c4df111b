using PureBoot.PowerShell;
using Xunit;

namespace PureBoot.Tests.Unit.Module;

/// <summary>The module's native-library resolver (no PowerShell types, so it runs here for real).</summary>
public class NativeLibraryResolverTests
{
    [Fact]
    public void LooksInTheModuleFolderThenInItsRuntimesFolder()
    {
        if (!OperatingSystem.IsLinux()) return;
        var candidates = NativeLibraryResolver.Candidates("/opt/m/PureBoot", "e_sqlite3").ToList();
        Assert.Equal("/opt/m/PureBoot/libe_sqlite3.so", candidates[0]);
        Assert.Contains($"/opt/m/PureBoot/runtimes/linux-{System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}/native/libe_sqlite3.so", candidates);
        Assert.All(candidates, c => Assert.StartsWith("/opt/m/PureBoot/", c));
        // The name as SQLitePCLRaw asks for it, with or without prefix and suffix.
        Assert.Equal(candidates, NativeLibraryResolver.Candidates("/opt/m/PureBoot", "libe_sqlite3.so").ToList());
    }

    [Fact]
    public void AnswersOnlyForSqlite()
    {
        Assert.Equal(IntPtr.Zero, NativeLibraryResolver.Resolve(typeof(NativeLibraryResolverTests).Assembly, "libc"));
        Assert.Equal(IntPtr.Zero, NativeLibraryResolver.Resolve(typeof(NativeLibraryResolverTests).Assembly, "ssl"));
    }

    [Fact]
    public void FindsTheLibraryNextToTheModule()
    {
        if (!OperatingSystem.IsLinux()) return;
        // The test output folder is laid out like a portable publish (runtimes/linux-x64/native/libe_sqlite3.so).
        var handle = NativeLibraryResolver.Resolve(typeof(NativeLibraryResolverTests).Assembly, "e_sqlite3");
        Assert.NotEqual(IntPtr.Zero, handle);
    }
}
