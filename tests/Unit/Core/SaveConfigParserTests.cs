using PureBoot.Core.Lio;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

public class SaveConfigParserTests
{
    readonly LioConfig _cfg = SaveConfigParser.Parse(FixturePaths.Read("saveconfig.json"));

    [Fact]
    public void ReadsStorageObjectsOfTheRealFixture()
    {
        Assert.Equal(new[] { "web01", "node1", "node2" }, _cfg.StorageObjects.Select(s => s.Name));
        var node1 = _cfg.FindStorageObject("fileio", "node1")!;
        Assert.Equal("/var/lib/pureboot/luns/node1.img", node1.Dev);
        Assert.Equal(67108864, node1.Size);
        Assert.Equal("/backstores/fileio/node1", node1.Path);
        Assert.True(node1.WriteBack);
    }

    [Fact]
    public void ReadsTargetsTpgsLunsAclsAndPortals()
    {
        Assert.Equal(2, _cfg.Targets.Count);
        var t1 = _cfg.FindTarget("iqn.2026-01.local.pureboot:target1")!;
        var tpg = t1.Tpg1!;
        Assert.True(tpg.Enable);
        Assert.Equal("0", tpg.Attribute("generate_node_acls"));
        Assert.Equal("1", tpg.Attribute("authentication"));
        Assert.Equal(new[] { 0, 1 }, tpg.Luns.Select(l => l.Index));
        Assert.Equal("/backstores/fileio/node2", tpg.FindLun(1)!.StorageObject);
        Assert.Equal("0.0.0.0:3260", tpg.Portals.Single().ToString());

        var a1 = tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000001")!;
        Assert.Equal("node1user", a1.ChapUserId);
        Assert.True(a1.HasChap);
        Assert.False(a1.HasMutualChap);
        Assert.True(a1.ChapPasswordEquals("secretpass1234"));
        Assert.Equal("-1", a1.Attribute("authentication"));
        var m = Assert.Single(a1.MappedLuns);
        Assert.Equal((0, 0, false), (m.Index, m.TpgLun, m.WriteProtect));

        var a2 = tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000002")!;
        Assert.True(a2.HasMutualChap);
        Assert.Equal("target2", a2.ChapMutualUserId);
        Assert.True(a2.ChapMutualPasswordEquals("mutualsecret99"));
        Assert.Equal(1, a2.MappedLuns.Single().TpgLun);

        var perLun = _cfg.FindTarget("iqn.2026-01.local.pureboot:perlun-web01")!.Tpg1!;
        Assert.Empty(perLun.NodeAcls);
        Assert.Equal("0", perLun.Attribute("authentication"));
    }

    [Fact]
    public void ParsedObjectsNeverPrintSecrets()
    {
        var acl = _cfg.Targets.SelectMany(t => t.Tpgs).SelectMany(t => t.NodeAcls).ToList();
        foreach (var a in acl) Assert.DoesNotContain("secretpass", a.ToString());
        Assert.DoesNotContain("secret", _cfg.ToString());
        // ChapPassword is internal: no public property exposes it.
        Assert.Null(typeof(NodeAcl).GetProperty("ChapPassword"));
        Assert.Null(typeof(NodeAcl).GetProperty("ChapMutualPassword"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void EmptyTextIsAnEmptyConfig(string text) => Assert.Empty(SaveConfigParser.Parse(text).Targets);

    [Fact]
    public void BrokenJsonIsAFormatErrorNotACrash()
    {
        var e = Assert.Throws<FormatException>(() => SaveConfigParser.Parse("{\"targets\": [ "));
        Assert.Contains("not valid JSON", e.Message);
    }
}
