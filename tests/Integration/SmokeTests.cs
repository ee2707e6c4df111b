using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using Xunit;
using Xunit.Abstractions;

namespace PureBoot.Tests.Integration;

public class SmokeTests(ITestOutputHelper output)
{
    [LabFact]
    public async Task CreateAssignReadRemoveOverRealSsh()
    {
        using var ctx = new LabContext();
        try
        {
            var b = ctx.AddBackend("smoke");
            var node = ctx.Engine.AddNode("n1", "52:54:00:aa:00:01");
            var created = await ctx.Engine.CreateLunsAsync(new[] { new LunCreateRequest { Name = "n1", SizeBytes = 64L << 20, Backend = "smoke" } });
            Assert.True(created[0].Succeeded, created[0].Error);
            Assert.Equal(LunStatus.Ready, created[0].Lun!.Status);
            var assigned = await ctx.Engine.AssignLunsAsync(new[] { new LunAssignRequest("n1", "n1") });
            Assert.True(assigned[0].Succeeded, assigned[0].Error);
            var cred = ctx.Engine.GetChapCredential("n1");
            var cap = Initiator.CapacityBytes(ctx.Lab, node.InitiatorIqn, b.SharedTargetIqn, 0, cred.User, cred.RevealSecret());
            output.WriteLine(Initiator.ReadCapacity(ctx.Lab, node.InitiatorIqn, b.SharedTargetIqn, 0, cred.User, cred.RevealSecret()).Out);
            Assert.Equal(64L << 20, cap);
            var removed = await ctx.Engine.RemoveLunsAsync(new[] { new LunRemoveRequest("n1", Force: true) });
            Assert.True(removed[0].Succeeded, removed[0].Error);
        }
        finally { foreach (var l in ctx.Log) output.WriteLine(l); }
    }
}
