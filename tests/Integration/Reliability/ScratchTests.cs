using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;
namespace PureBoot.Tests.Integration.Reliability;
[Collection("lab")]
public class ScratchRel(ITestOutputHelper output)
{
    [LabFact]
    public async Task ScratchTrailingNewline()
    {
        using var ctx = new RelContext();
        var b = ctx.AddBackend("x");
        foreach (var v in new[] { "web01\n" })
            try { output.WriteLine("Name ok: " + PureBoot.Core.Validation.InputValidator.Name(v, "Name").Replace("\n", "\\n")); } catch (Exception e) { output.WriteLine(e.Message); }
        try { output.WriteLine("Iqn ok: " + PureBoot.Core.Validation.InputValidator.Iqn("iqn.2026-01.local.x:a\n", "I").Replace("\n", "\\n")); } catch (Exception e) { output.WriteLine(e.Message); }
        try { output.WriteLine("Host ok: " + PureBoot.Core.Validation.InputValidator.Host("example.com\n", "H").Replace("\n", "\\n")); } catch (Exception e) { output.WriteLine(e.Message); }
        try { output.WriteLine("HostDirectory ok: " + PureBoot.Core.Validation.InputValidator.HostDirectory("/var/lib/x\n", "S").Replace("\n", "\\n")); } catch (Exception e) { output.WriteLine(e.Message); }
        try { output.WriteLine("ChapUser ok: " + PureBoot.Core.Validation.InputValidator.ChapUser("user\n", "S").Replace("\n", "\\n")); } catch (Exception e) { output.WriteLine(e.Message); }
        try { output.WriteLine("VG ok: " + PureBoot.Core.Validation.InputValidator.VolumeGroup("pureboot\n", "S").Replace("\n", "\\n")); } catch (Exception e) { output.WriteLine(e.Message); }
        try
        {
            var r = await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "web01\n", Backend = "x", SizeBytes = 16 << 20 } });
            output.WriteLine("create returned: " + r[0]);
        }
        catch (Exception e) { output.WriteLine("create threw: " + e.GetType().Name + ": " + e.Message); }
        output.WriteLine($"opens {ctx.Faults.Opens}, handshakes {ctx.Shell.Handshakes}");
        foreach (var l in ctx.Engine.ListLuns()) output.WriteLine($"row '{l.Name.Replace("\n", "\\n")}' {l.Status} {l.PendingOperation}");
        try { var s = await ctx.Engine.SyncTargetAsync("x", new SyncOptions()); output.WriteLine("sync: " + s); }
        catch (Exception e) { output.WriteLine("sync threw: " + e.GetType().Name + ": " + e.Message); }
        try { var s = await ctx.Engine.GetTargetStatusAsync("x", false); output.WriteLine("status drift: " + string.Join("; ", s.Drift)); }
        catch (Exception e) { output.WriteLine("status threw: " + e.GetType().Name + ": " + e.Message); }
        output.WriteLine(ctx.VmOk($"ls -la {ctx.StorageDir}"));
        try
        {
            ctx.Engine.AddNode("nn", "52:54:00:12:34:56", "iqn.2026-01.local.x:a\n");
            await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "ok2", Backend = "x", SizeBytes = 16 << 20 } });
            var r = await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("ok2", "nn") });
            output.WriteLine("assign returned: " + r[0]);
        }
        catch (Exception e) { output.WriteLine("node/assign threw: " + e.GetType().Name + ": " + e.Message); }
        foreach (var l in ctx.Engine.ListLuns()) output.WriteLine($"row '{l.Name.Replace("\n", "\\n")}' {l.Status} {l.PendingOperation}");
    }
}
