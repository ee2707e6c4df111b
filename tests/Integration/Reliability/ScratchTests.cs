using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;
namespace PureBoot.Tests.Integration.Reliability;
[Collection("lab")]
public class ScratchRel(ITestOutputHelper output)
{
    [LabFact]
    public async Task ScratchMasterExit()
    {
        using var ctx = new RelContext();
        var b = ctx.AddBackend("x");
        await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "a", Backend = "x", SizeBytes = 16 << 20 } });
        foreach (var at in new[] { 1, 2 })
        {
            ctx.Faults.Arm(new FaultPlan(FaultKind.MasterExit, at, false, TimeSpan.FromMilliseconds(1000)));
            var r = await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("a") });
            await ctx.Faults.SettleAsync();
            output.WriteLine($"at {at}: {ctx.Faults.Fired} => {string.Join(";", r)}");
            lock (ctx.Faults.CallLog) foreach (var c in ctx.Faults.CallLog) output.WriteLine("  " + c);
            await ctx.Engine.SyncTargetAsync("x", new SyncOptions());
            if (ctx.Engine.ListLuns().Count == 0) await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "a", Backend = "x", SizeBytes = 16 << 20 } });
        }
        lock (ctx.Log) foreach (var l in ctx.Log) output.WriteLine(l);
    }
}
