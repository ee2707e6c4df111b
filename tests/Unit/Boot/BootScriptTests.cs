using PureBoot.Core.Boot;
using PureBoot.Core.Inventory;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Validation;
using PureBoot.Tests.Unit.Engine;
using Xunit;

namespace PureBoot.Tests.Unit.Boot;

public class BootScriptTests : IDisposable
{
    readonly EngineHarness h = new();
    public void Dispose() => h.Dispose();

    const string Target = "iqn.2026-01.local.pureboot:san1";
    const string Initiator = "iqn.2026-01.local.pureboot:node:525400000001";

    Backend AddBackend(string portal = "192.0.2.10", int port = 3260, TargetMode mode = TargetMode.Shared) =>
        h.Engine.AddBackend(new BackendSpec
        {
            Name = "san1", Transport = TransportKind.Simulated, SimulationStatePath = h.StatePath, Mode = mode,
            StoragePath = "/var/lib/pureboot/luns", PortalAddress = portal, PortalPort = port,
        });

    async Task<Node> NodeWithLun(LunCreateRequest? req = null, string node = "web01")
    {
        var n = h.Engine.AddNode(node, "52:54:00:00:00:01");
        var c = await h.Engine.CreateLunsAsync(new[] { req ?? new LunCreateRequest { Name = "web01", SizeBytes = 64L << 20, Backend = "san1", ChapUser = "web01", ChapSecret = "Secret.One-2345" } });
        Assert.True(c[0].Succeeded, c[0].Error);
        var a = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest(c[0].Name, node) });
        Assert.True(a[0].Succeeded, a[0].Error);
        return n;
    }

    [Fact]
    public async Task OneWayChapScriptIsExactlyThis()
    {
        AddBackend();
        await NodeWithLun();
        Assert.Equal(
            "#!ipxe\n" +
            "# PureBoot: node web01 boots LUN web01\n" +
            $"set initiator-iqn {Initiator}\n" +
            "set username web01\n" +
            "set password Secret.One-2345\n" +
            $"sanboot iscsi:192.0.2.10::3260:0:{Target}\n",
            h.Engine.GetBootScript("web01"));
    }

    [Fact]
    public async Task MutualChapScriptIsExactlyThis()
    {
        AddBackend(port: 3261);
        await NodeWithLun(new LunCreateRequest
        {
            Name = "web01", SizeBytes = 64L << 20, Backend = "san1", ChapUser = "web01", ChapSecret = "Secret.One-2345",
            MutualChap = true, MutualChapUser = "san1-target", MutualChapSecret = "Mutual~Two+678",
        });
        Assert.Equal(
            "#!ipxe\n" +
            "# PureBoot: node web01 boots LUN web01\n" +
            $"set initiator-iqn {Initiator}\n" +
            "set username web01\n" +
            "set password Secret.One-2345\n" +
            "set reverse-username san1-target\n" +
            "set reverse-password Mutual~Two+678\n" +
            $"sanboot iscsi:192.0.2.10::3261:0:{Target}\n",
            h.Engine.GetBootScript("web01"));
    }

    [Fact]
    public async Task NoChapScriptHasNoCredentials()
    {
        AddBackend();
        await NodeWithLun(new LunCreateRequest { Name = "web01", SizeBytes = 64L << 20, Backend = "san1", Chap = false });
        Assert.Equal(
            "#!ipxe\n" +
            "# PureBoot: node web01 boots LUN web01\n" +
            $"set initiator-iqn {Initiator}\n" +
            $"sanboot iscsi:192.0.2.10::3260:0:{Target}\n",
            h.Engine.GetBootScript("web01"));
    }

    [Fact]
    public async Task TheLunNumberIsTheNodesMappedIndexAndTheTargetIsThePerLunTarget()
    {
        AddBackend(mode: TargetMode.PerLun);
        var n = h.Engine.AddNode("web01", "52:54:00:00:00:01");
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("data") with { Purpose = LunPurpose.AutoProvision }, EngineHarness.Req("root") });
        var a = await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("data", "web01"), new LunAssignRequest("root", "web01") });
        Assert.All(a, o => Assert.True(o.Succeeded, o.Error));
        Assert.Equal("root", h.Engine.GetBootLun("web01").Name);
        Assert.EndsWith($"sanboot iscsi:192.0.2.10::3260:0:{Target}.root\n", h.Engine.GetBootScript("web01"));
        Assert.Contains($"set initiator-iqn {n.InitiatorIqn}\n", h.Engine.GetBootScript("web01"));
    }

    [Fact]
    public async Task ASecondLunOnASharedTargetUsesItsMappedIndex()
    {
        AddBackend();
        h.Engine.AddNode("web01", "52:54:00:00:00:01");
        await h.Engine.CreateLunsAsync(new[] { EngineHarness.Req("other"), EngineHarness.Req("data") with { Purpose = LunPurpose.InstallSource }, EngineHarness.Req("root") });
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("data", "web01") });
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("root", "web01") });
        var root = h.Engine.GetLun("root");
        Assert.Equal(1, root.MappedLunIndex);
        Assert.Equal(2, root.TpgLunIndex);
        Assert.EndsWith($"sanboot iscsi:192.0.2.10::3260:1:{Target}\n", h.Engine.GetBootScript("web01"));
    }

    [Fact]
    public async Task ThePortalComesFromTheOverrideTheBackendAddressOrItsHost()
    {
        AddBackend(portal: "0.0.0.0");
        await NodeWithLun();
        // A simulated backend on 0.0.0.0 has no host name: the address must be given.
        var e = Assert.Throws<ValidationException>(() => h.Engine.GetBootScript("web01"));
        Assert.Equal("PortalAddress", e.ParamName);
        Assert.Contains("0.0.0.0", e.Message);
        Assert.EndsWith($"sanboot iscsi:10.0.2.2::20481:0:{Target}\n", h.Engine.GetBootScript("web01", "10.0.2.2", 20481));
        Assert.EndsWith($"sanboot iscsi:[fd00::5]::3260:0:{Target}\n", h.Engine.GetBootScript("web01", "fd00::5"));
        Assert.EndsWith($"sanboot iscsi:boot.example.net::3260:0:{Target}\n", h.Engine.GetBootScript("web01", "boot.example.net"));
        // An SSH backend listening everywhere: its host name.
        h.Engine.UpdateBackend("san1", u => { u.Transport = TransportKind.Ssh; u.Host = "san1.example.net"; });
        Assert.EndsWith($"sanboot iscsi:san1.example.net::3260:0:{Target}\n", h.Engine.GetBootScript("web01"));
        // A backend on one address: that address.
        h.Engine.UpdateBackend("san1", u => u.PortalAddress = "192.0.2.77");
        Assert.EndsWith($"sanboot iscsi:192.0.2.77::3260:0:{Target}\n", h.Engine.GetBootScript("web01"));
        Assert.Throws<ValidationException>(() => h.Engine.GetBootScript("web01", "0.0.0.0"));
        Assert.Throws<ValidationException>(() => h.Engine.GetBootScript("web01", "bad host;reboot"));
        Assert.Throws<ValidationException>(() => h.Engine.GetBootScript("web01", "10.0.2.2", 0));
    }

    [Fact]
    public async Task ReadingTheScriptIsAuditedWithoutTheSecret()
    {
        AddBackend();
        await NodeWithLun();
        h.Engine.GetBootScript("web01");
        var row = Assert.Single(h.Engine.ListAudit(), a => a.Operation == "read-boot-script");
        Assert.Equal("node", row.ObjectType);
        Assert.Equal("web01", row.ObjectName);
        Assert.Equal(AuditOutcome.Success, row.Outcome);
        Assert.Contains("web01", row.Message);
        Assert.DoesNotContain("Secret.One-2345", row.Message);
    }

    [Fact]
    public async Task WritingTheScriptMakesA0600FileAtomicallyAndRefusesToReplaceWithoutOverwrite()
    {
        AddBackend();
        await NodeWithLun();
        var dir = Directory.CreateTempSubdirectory("pb-boot-").FullName;
        try
        {
            var path = Path.Combine(dir, "web01.ipxe");
            var info = h.Engine.WriteBootScript("web01", path);
            Assert.Equal(path, info.Path);
            Assert.Equal("web01", info.Lun);
            Assert.Equal("OneWay", info.Chap);
            Assert.Equal($"iscsi:192.0.2.10::3260:0:{Target}", info.RootPath);
            Assert.DoesNotContain("Secret", info.ToString());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.Equal(h.Engine.GetBootScript("web01"), File.ReadAllText(path));
            Assert.Contains(h.Engine.ListAudit(), a => a.Operation == "write-boot-script" && a.Message!.Contains(path));

            var e = Assert.Throws<ValidationException>(() => h.Engine.WriteBootScript("web01", path));
            Assert.Contains("-Force", e.Message);
            // Replacing a world-readable file leaves a 0600 one (a new inode, never chmod-ed after writing).
            File.WriteAllText(path, "old");
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
            h.Engine.WriteBootScript("web01", path, overwrite: true);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.StartsWith("#!ipxe\n", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));   // no temporary file left behind

            Assert.Throws<ValidationException>(() => h.Engine.WriteBootScript("web01", Path.Combine(dir, "no-such-dir", "x.ipxe")));
            Assert.Throws<ValidationException>(() => h.Engine.WriteBootScript("web01", dir, overwrite: true));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task ANodeWithoutOneClearBootLunIsAnError()
    {
        AddBackend();
        Assert.Throws<InventoryNotFoundException>(() => h.Engine.GetBootScript("nobody"));
        Assert.Throws<ValidationException>(() => h.Engine.GetBootScript("Bad Name"));
        h.Engine.AddNode("web01", "52:54:00:00:00:01");
        var none = Assert.Throws<InventoryNotFoundException>(() => h.Engine.GetBootScript("web01"));
        Assert.Contains("no LUN assigned", none.Message);

        await h.Engine.CreateLunsAsync(new[]
        {
            EngineHarness.Req("a") with { Purpose = LunPurpose.InstallSource }, EngineHarness.Req("b") with { Purpose = LunPurpose.AutoProvision },
            EngineHarness.Req("c"), EngineHarness.Req("d"),
        });
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("a", "web01"), new LunAssignRequest("b", "web01") });
        var neither = Assert.Throws<InventoryConflictException>(() => h.Engine.GetBootScript("web01"));
        Assert.Contains("none has Purpose BootFromSan", neither.Message);
        // One BootFromSan among several: that one.
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("c", "web01") });
        Assert.Equal("c", h.Engine.GetBootLun("web01").Name);
        // Two BootFromSan: ambiguous.
        await h.Engine.AssignLunsAsync(new[] { new LunAssignRequest("d", "web01") });
        var two = Assert.Throws<InventoryConflictException>(() => h.Engine.GetBootScript("web01"));
        Assert.Contains("c, d", two.Message);
        Assert.DoesNotContain(h.Engine.ListAudit(), a => a.Operation == "read-boot-script");
    }

    [Fact]
    public void RenderRefusesValuesThatCouldChangeTheScript()
    {
        var ok = new IpxeBootParameters
        {
            NodeName = "n", LunName = "l", InitiatorIqn = Initiator, TargetIqn = Target, Lun = 0, Portal = "192.0.2.1", Port = 3260,
            ChapUser = "u", ChapSecret = "Secret.One-2345",
        };
        Assert.StartsWith("#!ipxe\n", IpxeScript.Render(ok));
        foreach (var bad in new[]
        {
            ok with { InitiatorIqn = Initiator + "\nshell" },
            ok with { TargetIqn = Target + " ${password}" },
            ok with { ChapUser = "u#x" },
            ok with { ChapSecret = "Secret\"One2345" },
            ok with { ChapSecret = "Secret${x}2345" },
            ok with { ChapSecret = "Secret:One2345" },   // ':' would be fine for iPXE but is no CHAP secret character
            ok with { ChapSecret = null },
            ok with { MutualChapUser = "m", MutualChapSecret = null },
            ok with { ChapUser = null, ChapSecret = null, MutualChapUser = "m", MutualChapSecret = "Mutual.Two-2345" },
            ok with { Portal = "10.0.0.1\nchain http://evil/" },
            ok with { Portal = "0.0.0.0" },
            ok with { Port = 70000 },
            ok with { Lun = -1 },
        })
        {
            var e = Assert.Throws<ValidationException>(() => IpxeScript.Render(bad));
            if (bad.ChapSecret is { } s) Assert.DoesNotContain(s, e.Message);   // never echoes a secret
        }
    }
}
