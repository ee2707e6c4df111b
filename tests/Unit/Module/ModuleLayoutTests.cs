using System.Diagnostics;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Unit.Module;

/// <summary>
/// Builds the importable module folder the way build.ps1 does (dotnet publish for linux-x64 + the LayoutModule
/// target), then proves, in a FRESH .NET process that loads the module's assemblies by path like pwsh (no .deps.json
/// for the module), that SQLite's native library is found in the module folder.
/// </summary>
public class ModuleLayoutTests : IDisposable
{
    readonly ITestOutputHelper _out;
    readonly string _temp = Path.Combine(Path.GetTempPath(), "pureboot-layout-" + Guid.NewGuid().ToString("N")[..8]);

    public ModuleLayoutTests(ITestOutputHelper output) { _out = output; Directory.CreateDirectory(_temp); }

    public void Dispose()
    {
        try { Directory.Delete(_temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void PublishedModuleFolderLoadsSqliteFromItself()
    {
        if (!OperatingSystem.IsLinux()) return;   // the layout is published for linux-x64
        var root = ModuleMetadata.RepoRoot;
        var module = Path.Combine(_temp, "out", "PureBoot");

        // 1. The layout, exactly as build.ps1 makes it.
        var publish = Dotnet(root, "publish", "src/PureBoot.PowerShell", "-c", "Release", "-r", "linux-x64", "--self-contained", "false",
            $"-p:ModuleOutDir={module}/", "-p:UseSharedCompilation=false", "-nodeReuse:false", "-nologo");
        Assert.True(publish.Code == 0, "dotnet publish failed:\n" + publish.Output);

        var files = Directory.GetFiles(module, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(module, f)).OrderBy(f => f, StringComparer.Ordinal).ToList();
        _out.WriteLine("module folder: " + string.Join(", ", files));
        foreach (var f in new[] { "PureBoot.psd1", "PureBoot.Format.ps1xml", Path.Combine("en-US", "PureBoot.dll-Help.xml"), "PureBoot.dll", "PureBoot.Core.dll",
                     "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.core.dll", "SQLitePCLRaw.provider.e_sqlite3.dll", "SQLitePCLRaw.batteries_v2.dll", "libe_sqlite3.so" })
            Assert.Contains(f, files);
        Assert.DoesNotContain(files, f => f.StartsWith("System.Management.Automation", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.EndsWith(".pdb", StringComparison.Ordinal) || f.EndsWith(".deps.json", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllText(Path.Combine(root, "PureBoot.psd1")), File.ReadAllText(Path.Combine(module, "PureBoot.psd1")));

        // 2. A fresh process that has no SQLite of its own.
        var probeDir = Path.Combine(_temp, "probe");
        Directory.CreateDirectory(probeDir);
        var template = Path.Combine(root, "tests", "Unit", "Module", "LayoutProbe");
        File.Copy(Path.Combine(template, "LayoutProbe.csproj.txt"), Path.Combine(probeDir, "LayoutProbe.csproj"));
        File.Copy(Path.Combine(template, "Program.cs.txt"), Path.Combine(probeDir, "Program.cs"));
        var bin = Path.Combine(probeDir, "bin");
        var build = Dotnet(probeDir, "build", "-c", "Release", "-o", bin, "-p:UseSharedCompilation=false", "-nodeReuse:false", "-nologo");
        Assert.True(build.Code == 0, "building the probe failed:\n" + build.Output);
        Assert.Empty(Directory.GetFiles(bin, "*sqlite*", SearchOption.AllDirectories));

        // As pwsh loads it: default load context, dependencies from the module folder, the runtime's own native probing.
        AssertProbe(Probe(bin, module, "plain"), module);
        // With the module's resolver registered, as its IModuleAssemblyInitializer does on Import-Module.
        AssertProbe(Probe(bin, module, "module"), module);

        // 3. A portable layout (native library under runtimes/linux-x64/native): only the module's resolver finds it.
        var portable = Path.Combine(_temp, "portable", "PureBoot");
        CopyDirectory(module, portable);
        var native = Path.Combine(portable, "runtimes", "linux-x64", "native");
        Directory.CreateDirectory(native);
        File.Move(Path.Combine(portable, "libe_sqlite3.so"), Path.Combine(native, "libe_sqlite3.so"));
        AssertProbe(Probe(bin, portable, "module"), native);
    }

    (int Code, string Output) Probe(string bin, string module, string mode) =>
        Dotnet(bin, "exec", Path.Combine(bin, "LayoutProbe.dll"), module, mode, Path.Combine(_temp, "work-" + mode + "-" + Guid.NewGuid().ToString("N")[..6]));

    void AssertProbe((int Code, string Output) r, string nativeDir)
    {
        _out.WriteLine(r.Output);
        Assert.True(r.Code == 0, "probe failed:\n" + r.Output);
        Assert.Contains("select=hello from the module folder", r.Output);
        Assert.Contains("inventory_schema=", r.Output);
        Assert.Contains("native=" + Path.Combine(nativeDir, "libe_sqlite3.so"), r.Output);
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }

    /// <summary>Runs dotnet without the test host's MSBuild environment and without leaving build servers behind.</summary>
    static (int Code, string Output) Dotnet(string workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.ToList())
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
                || key is "DOTNET_HOST_PATH" or "DOTNET_STARTUP_HOOKS")
                psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        var lockObj = new object();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (lockObj) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lockObj) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return (-1, "timed out after 5 minutes:\n" + output);
        }
        p.WaitForExit();
        lock (lockObj) return (p.ExitCode, output.ToString());
    }
}
