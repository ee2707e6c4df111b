using PureBoot.Core.Validation;
using Xunit;

namespace PureBoot.Tests.Unit.Core;

public class InputValidatorTests
{
    [Theory]
    [InlineData("web01")] [InlineData("a")] [InlineData("node-1-a")] [InlineData("0")]
    public void AcceptsGoodNames(string n) => Assert.Equal(n, InputValidator.Name(n, "Name"));

    /// <summary>One case rule for create and lookup: names are case-insensitive and kept in lower case.</summary>
    [Theory]
    [InlineData("Web01", "web01")] [InlineData("NODE-1-A", "node-1-a")]
    public void FoldsNamesToLowerCase(string given, string kept) => Assert.Equal(kept, InputValidator.Name(given, "Name"));

    [Theory]
    [InlineData("Web_01")] [InlineData("\u212Aelvin")] [InlineData("-web")] [InlineData("web-")] [InlineData("web_01")] [InlineData("web 01")]
    [InlineData("web;rm -rf /")] [InlineData("a\nb")] [InlineData("")] [InlineData("wеb01")] // Cyrillic е
    public void RejectsBadNamesNamingTheParameter(string n)
    {
        var e = Assert.Throws<ValidationException>(() => InputValidator.Name(n, "Name"));
        Assert.Equal("Name", e.ParamName);
        Assert.Contains("'Name'", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void RejectsA64CharacterName() => Assert.Throws<ValidationException>(() => InputValidator.Name(new string('a', 64), "Name"));

    [Theory]
    [InlineData("iqn.2026-01.local.pureboot:node:aabbcc000001")]
    [InlineData("iqn.1994-05.com.redhat:185ce16b55ad")]
    [InlineData("iqn.2003-01.org.linux-iscsi.host.x8664:sn.1234")]
    [InlineData("iqn.2026-01.local.pureboot")]
    [InlineData("eui.02004567a425678d")]
    [InlineData("naa.52004567ba64678d")]
    [InlineData("naa.62004567ba64678d0123456789abcdef")]
    public void AcceptsIscsiNames(string iqn) => Assert.Equal(iqn, InputValidator.Iqn(iqn, "InitiatorIqn"));

    [Theory]
    [InlineData("not-an-iqn")] [InlineData("iqn.2026-13.local.x:a")] [InlineData("iqn.26-01.local.x")]
    [InlineData("IQN.2026-01.local.x:a")] [InlineData("iqn.2026-01.Local.x:a")] [InlineData("iqn.2026-01.local.x:a b")]
    [InlineData("iqn.2026-01.local.x:a;b")] [InlineData("iqn.2026-01..x")] [InlineData("eui.0200")] [InlineData("naa.xyz")]
    [InlineData("iqn.2026-01.local.x:a'b")] [InlineData("iqn.2026-01.local.x:$(id)")]
    public void RejectsBadIscsiNames(string iqn) => Assert.Throws<ValidationException>(() => InputValidator.Iqn(iqn, "InitiatorIqn"));

    [Fact]
    public void RejectsIqnOver223Bytes()
    {
        var iqn = "iqn.2026-01.local.pureboot:" + new string('a', 223 - 26);
        Assert.Equal(224, iqn.Length);
        var e = Assert.Throws<ValidationException>(() => InputValidator.Iqn(iqn, "InitiatorIqn"));
        Assert.Contains("223", e.Message);
        Assert.Equal(iqn[..^1], InputValidator.Iqn(iqn[..^1], "InitiatorIqn"));
    }

    [Theory]
    [InlineData("AA:BB:CC:00:00:01", "aa:bb:cc:00:00:01")]
    [InlineData("aa-bb-cc-00-00-01", "aa:bb:cc:00:00:01")]
    [InlineData("aabb.cc00.0001", "aa:bb:cc:00:00:01")]
    [InlineData("AABBCC000001", "aa:bb:cc:00:00:01")]
    public void NormalisesMacAddresses(string mac, string expected) => Assert.Equal(expected, InputValidator.MacAddress(mac, "MacAddress"));

    [Theory]
    [InlineData("aa:bb:cc:00:00")] [InlineData("aa:bb-cc:00:00:01")] [InlineData("gg:bb:cc:00:00:01")] [InlineData("00:00:00:00:00:00")]
    [InlineData("ff:ff:ff:ff:ff:ff")] [InlineData("01:00:5e:00:00:01")] [InlineData("aa:bb:cc:00:00:01;reboot")]
    public void RejectsBadMacs(string mac) => Assert.Throws<ValidationException>(() => InputValidator.MacAddress(mac, "MacAddress"));

    [Fact]
    public void DerivesInitiatorIqnFromMacByTheDocumentedRule() =>
        Assert.Equal("iqn.2026-01.local.pureboot:node:aabbcc000001", InputValidator.InitiatorIqnFromMac("aa:bb:cc:00:00:01"));

    [Theory]
    [InlineData(0L)] [InlineData(-1L)] [InlineData(1048575L)] [InlineData((64L << 40) + 512)] [InlineData(1048577L)] [InlineData(long.MaxValue)]
    public void RejectsSizesOutOfRange(long size) => Assert.Throws<ValidationException>(() => InputValidator.SizeBytes(size, "SizeBytes"));

    [Fact]
    public void AcceptsSizeBounds()
    {
        Assert.Equal(1L << 20, InputValidator.SizeBytes(1L << 20, "SizeBytes"));
        Assert.Equal(64L << 40, InputValidator.SizeBytes(64L << 40, "SizeBytes"));
        Assert.Equal(40L << 30, InputValidator.SizeFromGB(40, "SizeGB"));
        Assert.Equal(1L << 20, InputValidator.SizeFromGB(0.0005, "SizeGB"));
        Assert.Throws<ValidationException>(() => InputValidator.SizeFromGB(double.NaN, "SizeGB"));
        Assert.Throws<ValidationException>(() => InputValidator.SizeFromGB(70000, "SizeGB"));
    }

    [Theory]
    [InlineData("golden/deb12.img", "/var/lib/pureboot/luns/golden/deb12.img")]
    [InlineData("/var/lib/pureboot/luns/./x.img", "/var/lib/pureboot/luns/x.img")]
    [InlineData("/var/lib/pureboot/luns//y.img", "/var/lib/pureboot/luns/y.img")]
    public void NormalisesImagePathsInsideTheDirectory(string p, string expected) =>
        Assert.Equal(expected, InputValidator.ImagePath(p, "/var/lib/pureboot/luns", "SourceImage"));

    [Theory]
    [InlineData("../../etc/shadow")] [InlineData("/etc/passwd")] [InlineData("/var/lib/pureboot/luns/../x.img")]
    [InlineData("/var/lib/pureboot/lunsx/a.img")] [InlineData("a b.img")] [InlineData("a;b.img")] [InlineData("$(reboot).img")]
    [InlineData("a\nb.img")] [InlineData("'x'.img")] [InlineData("-rf.img")] [InlineData("/var/lib/pureboot/luns")]
    public void RejectsImagePathsOutsideOrUnsafe(string p) =>
        Assert.Throws<ValidationException>(() => InputValidator.ImagePath(p, "/var/lib/pureboot/luns", "SourceImage"));

    [Theory]
    [InlineData("san1.example.com")] [InlineData("127.0.0.1")] [InlineData("::1")]
    public void AcceptsHosts(string h) => InputValidator.Host(h, "Host");

    [Theory]
    [InlineData("-oProxyCommand=sh")] [InlineData("host name")] [InlineData("a;b")] [InlineData("")]
    public void RejectsHostsThatCouldBeOptions(string h) => Assert.Throws<ValidationException>(() => InputValidator.Host(h, "Host"));

    [Fact]
    public void ATrailingLineFeedIsRejectedEverywhere()
    {
        // .NET's $ also matches before a final \n: every allow-list anchors with \z.
        Assert.Throws<ValidationException>(() => InputValidator.Name("web01\n", "Name"));
        Assert.Throws<ValidationException>(() => InputValidator.Iqn("iqn.2026-01.local.x:a\n", "InitiatorIqn"));
        Assert.Throws<ValidationException>(() => InputValidator.Iqn("eui.02004567a425678d\n", "InitiatorIqn"));
        Assert.Throws<ValidationException>(() => InputValidator.IqnPrefix("iqn.2026-01.local.x\n", "IqnPrefix"));
        Assert.Throws<ValidationException>(() => InputValidator.ChapUser("user\n", "ChapUser"));
        Assert.Throws<ValidationException>(() => InputValidator.VolumeGroup("vg\n", "StoragePath"));
        Assert.Throws<ValidationException>(() => InputValidator.UnixUser("root\n", "User"));
        Assert.Throws<ValidationException>(() => InputValidator.Host("san1\n", "Host"));
        Assert.Throws<ValidationException>(() => InputValidator.HostDirectory("/var/lib/x\n", "StoragePath"));
    }

    [Fact]
    public void ShowsControlCharactersEscapedInMessages()
    {
        var e = Assert.Throws<ValidationException>(() => InputValidator.Name("a\u0000b\nc", "Name"));
        Assert.Contains("\\u0000", e.Message);
        Assert.Contains("\\u000a", e.Message);
    }
}
