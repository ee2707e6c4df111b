using PureBoot.Core.Lio;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Transport;
using PureBoot.Tests.Unit.Engine;
using Xunit;

namespace PureBoot.Tests.Unit.Boot;

public class GoldenImageTests : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();
    LioConfig Saved => SaveConfigParser.Parse(h.State.Saved ?? "{}");

    [Fact]
    public async Task PerLunPlusSourceImageGivesEachMachineItsOwnTargetBuiltFromTheImage()
    {
        var b = h.AddBackend(mode: TargetMode.PerLun);
        h.Mutate(s => { s.AddDirectory("/var/lib/pureboot/luns/golden"); s.AddFile("/var/lib/pureboot/luns/golden/deb12.img", 10L << 30, 1L << 20, content: "deb12-golden"); });
        var nodes = new[] { "web01", "web02" }.Select((n, i) => h.Engine.AddNode(n, $"52:54:00:00:01:{i:x2}")).ToList();
        var created = await h.Engine.CreateLunsAsync(nodes.Select(n => new LunCreateRequest { Name = n.Name, Backend = "san1", SourceImage = "golden/deb12.img" }).ToList());
        Assert.All(created, o => Assert.True(o.Succeeded, o.Error));
        // One targetcli start for both; each clone is a cp --reflink=auto --sparse=always of the image.
        Assert.Equal(1, h.Connector.Applies);
        Assert.Equal(new[] { "/var/lib/pureboot/luns/web01.img", "/var/lib/pureboot/luns/web02.img" },
            h.Connector.Steps.OfType<CopyImage>().Where(c => c.Source == "/var/lib/pureboot/luns/golden/deb12.img").Select(c => c.Destination));
        // No size given: the backstore takes the file's (no size= on the create line).
        Assert.Contains("/backstores/fileio create name=web01 file_or_dev=/var/lib/pureboot/luns/web01.img", h.Connector.Lines);

        var assigned = await h.Engine.AssignLunsAsync(nodes.Select(n => new LunAssignRequest(n.Name, n.Name)).ToList());
        Assert.All(assigned, o => Assert.True(o.Succeeded, o.Error));
        foreach (var n in nodes)
        {
            var lun = h.Engine.GetLun(n.Name);
            Assert.Equal(b.PerLunTargetIqn(n.Name), lun.TargetIqn);
            Assert.Equal($"iqn.2026-01.local.pureboot:san1.{n.Name}", lun.TargetIqn);
            Assert.Equal(0, lun.TpgLunIndex);
            Assert.Equal(0, lun.MappedLunIndex);
            Assert.Equal(10L << 30, lun.SizeBytes);
            Assert.Equal("/var/lib/pureboot/luns/golden/deb12.img", lun.SourceImage);
            // Its own target: one LUN, one ACL (this node's), locked down.
            var tpg = Saved.FindTarget(lun.TargetIqn!)!.Tpg1!;
            Assert.Equal($"/backstores/fileio/{n.Name}", Assert.Single(tpg.Luns).StorageObject);
            Assert.Equal(n.InitiatorIqn, Assert.Single(tpg.NodeAcls).NodeWwn);
            Assert.Equal("0", tpg.Attribute("generate_node_acls"));
            // The clone holds the image, is as sparse as the image, and the node sees it on its own target.
            var file = h.State.Files[$"/var/lib/pureboot/luns/{n.Name}.img"];
            Assert.Equal("deb12-golden", file.Content);
            Assert.Equal(1L << 20, file.AllocatedBytes);
            var c = h.Engine.GetChapCredential(n.Name);
            var login = h.Login(n.InitiatorIqn, lun.TargetIqn!, 0, c.User, c.RevealSecret());
            Assert.True(login.Ok, login.Error);
            Assert.Equal(10L << 30, login.CapacityBytes);
            Assert.Equal("deb12-golden", login.Content);
            Assert.EndsWith($"sanboot iscsi:10.0.0.9::3260:0:{lun.TargetIqn}\n", h.Engine.GetBootScript(n.Name, "10.0.0.9"));
        }
        // Machines cannot reach each other's targets, and the image itself is no LUN.
        var c1 = h.Engine.GetChapCredential("web01");
        Assert.Equal("Authorization failure(514)", h.Login(nodes[0].InitiatorIqn, b.PerLunTargetIqn("web02"), 0, c1.User, c1.RevealSecret()).Error);
        Assert.Equal(2, Saved.Targets.Count);
        Assert.Equal(2, Saved.StorageObjects.Count);
        Assert.True(h.State.FileExists("/var/lib/pureboot/luns/golden/deb12.img"));
        Assert.Empty((await h.Engine.GetTargetStatusAsync("san1")).Drift);
    }
}
