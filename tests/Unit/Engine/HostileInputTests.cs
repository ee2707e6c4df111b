using Microsoft.Data.Sqlite;
using PureBoot.Core.Model;
using PureBoot.Core.Operations;
using PureBoot.Core.Validation;
using Xunit;

namespace PureBoot.Tests.Unit.Engine;

/// <summary>
/// Every bad input gets a clear error naming the parameter, and provably sends nothing to the target and
/// writes nothing to the inventory (row counts and the audit log unchanged, no session opened).
/// </summary>
public class HostileInputTests : IDisposable
{
    readonly EngineHarness h = new();
    public HostileInputTests()
    {
        h.AddBackend();
        h.Engine.AddNode("web01", "52:54:00:00:00:01");
    }
    public void Dispose() => h.Dispose();

    public static IEnumerable<object[]> Cases()
    {
        object[] C(string what, string param, Func<PureBootEngine, Task<object?>> act) => new object[] { what, param, act };
        Func<PureBootEngine, Task<object?>> Lun(LunCreateRequest r) => async e => (await e.CreateLunsAsync(new[] { r }))[0];
        LunCreateRequest R(string name = "ok1", long size = 64L << 20, string? image = null, string? secret = null, string? user = null) =>
            new() { Name = name, SizeBytes = size, Backend = "san1", SourceImage = image, ChapSecret = secret, ChapUser = user };

        // Names: shell metacharacters, newlines, quotes, case, length, look-alikes.
        yield return C("semicolon", "Name", Lun(R("web;reboot")));
        yield return C("command substitution", "Name", Lun(R("$(id)")));
        yield return C("backticks", "Name", Lun(R("`id`")));
        yield return C("newline", "Name", Lun(R("web\nsaveconfig")));
        yield return C("carriage return", "Name", Lun(R("web\r")));
        yield return C("single quote", "Name", Lun(R("web'01")));
        yield return C("double quote", "Name", Lun(R("web\"01")));
        yield return C("space", "Name", Lun(R("web 01")));
        yield return C("slash", "Name", Lun(R("../web")));
        yield return C("upper case with a bad character", "Name", Lun(R("Web_01")));
        yield return C("leading hyphen", "Name", Lun(R("-web")));
        yield return C("64 characters", "Name", Lun(R(new string('a', 64))));
        yield return C("empty", "Name", Lun(R("")));
        yield return C("cyrillic look-alike", "Name", Lun(R("wеb01")));
        yield return C("NUL byte", "Name", Lun(R("web\0")));
        yield return C("targetcli key=value", "Name", Lun(R("a name=b")));
        // Sizes.
        yield return C("zero size", "SizeBytes", Lun(R(size: 0)));
        yield return C("negative size", "SizeBytes", Lun(R(size: -1)));
        yield return C("too small", "SizeBytes", Lun(R(size: 4096)));
        yield return C("too big", "SizeBytes", Lun(R(size: (64L << 40) + (1L << 20))));
        yield return C("not whole blocks", "SizeBytes", Lun(R(size: (1L << 20) + 1)));
        // Image paths.
        yield return C("path traversal", "SourceImage", Lun(R(image: "../../etc/shadow")));
        yield return C("absolute outside", "SourceImage", Lun(R(image: "/etc/passwd")));
        yield return C("traversal inside absolute", "SourceImage", Lun(R(image: "/var/lib/pureboot/luns/../../../etc/shadow")));
        yield return C("image with space", "SourceImage", Lun(R(image: "my image.img")));
        yield return C("image with semicolon", "SourceImage", Lun(R(image: "a.img;rm -rf /")));
        yield return C("image with newline", "SourceImage", Lun(R(image: "a.img\nexit")));
        // CHAP.
        yield return C("secret too short", "ChapSecret", Lun(R(secret: "short123456")));
        yield return C("secret too long", "ChapSecret", Lun(R(secret: "abcdefghijklmnopq")));
        yield return C("secret with space", "ChapSecret", Lun(R(secret: "abcdef ghijklmn")));
        yield return C("secret with newline", "ChapSecret", Lun(R(secret: "abcdefgh\nijklmn")));
        yield return C("secret non-printable", "ChapSecret", Lun(R(secret: "abcdefgh\u0007ijklmn")));
        yield return C("secret look-alike", "ChapSecret", Lun(R(secret: "аbcdefghijklmn")));
        yield return C("secret with key=value", "ChapSecret", Lun(R(secret: "abc password=xyz")));
        yield return C("chap user with space", "ChapUser", Lun(R(user: "user name")));
        // Nodes: MACs and IQNs.
        yield return C("MAC too short", "MacAddress", e => Task.FromResult<object?>(e.AddNode("n2", "52:54:00:00:01")));
        yield return C("MAC with command", "MacAddress", e => Task.FromResult<object?>(e.AddNode("n2", "52:54:00:00:00:02;id")));
        yield return C("broadcast MAC", "MacAddress", e => Task.FromResult<object?>(e.AddNode("n2", "ff:ff:ff:ff:ff:ff")));
        yield return C("malformed IQN", "InitiatorIqn", e => Task.FromResult<object?>(e.AddNode("n2", "52:54:00:00:00:02", "iqn.bad")));
        yield return C("IQN with space", "InitiatorIqn", e => Task.FromResult<object?>(e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.local.x:a b")));
        yield return C("IQN over 223 bytes", "InitiatorIqn", e => Task.FromResult<object?>(e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.local.x:" + new string('a', 210))));
        yield return C("upper-case IQN", "InitiatorIqn", e => Task.FromResult<object?>(e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.Local.x:a")));
        yield return C("node name with quote", "Name", e => Task.FromResult<object?>(e.AddNode("n'2", "52:54:00:00:00:02")));
        // Backends.
        yield return C("host that is an ssh option", "Host", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", Transport = TransportKind.Ssh, Host = "-oProxyCommand=id" })));
        yield return C("storage path traversal", "StoragePath", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", StoragePath = "/var/lib/../../etc" })));
        yield return C("storage path with quote", "StoragePath", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", StoragePath = "/var/lib/x'y" })));
        yield return C("bad volume group", "StoragePath", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", Storage = StorageKind.Block, StoragePath = "vg;id" })));
        yield return C("bad IQN prefix", "IqnPrefix", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", IqnPrefix = "iqn.2026-01.x:y" })));
        yield return C("bad portal", "PortalAddress", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", PortalAddress = "0.0.0.0;id" })));
        yield return C("bad port", "PortalPort", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", PortalPort = 70000 })));
        // Operations on existing objects.
        yield return C("assign with hostile node", "Node", async e => (await e.AssignLunsAsync(new[] { new LunAssignRequest("ok1", "web01;reboot") }))[0]);
        yield return C("resize to zero", "SizeBytes", async e => await e.ResizeLunAsync("ok1", 0));
        yield return C("description with control chars", "Description", async e => await e.UpdateLunAsync("ok1", "a\u001b[2Jb", null));
        // The disk lifecycle: image and snapshot names, versions, image paths, thin pools and fill limits.
        Func<PureBootEngine, Task<object?>> Img(ImageCreateRequest r) => async e => await e.NewImageAsync(r);
        ImageCreateRequest I(string name = "deb12", string? path = "golden/deb12.img", string? lun = null) => new() { Name = name, Backend = "san1", Path = path, Lun = lun };
        yield return C("image name with semicolon", "Name", Img(I("deb;12")));
        yield return C("image name with underscore", "Name", Img(I("deb_12")));   // upper case is not hostile: names fold to lower case
        yield return C("image name with newline", "Name", Img(I("deb12\nx")));
        yield return C("image path outside the image directory", "Path", Img(I(path: "/etc/shadow")));
        yield return C("image path traversal", "Path", Img(I(path: "../../etc/shadow")));
        yield return C("image path with $()", "Path", Img(I(path: "$(reboot).img")));
        yield return C("image path with space", "Path", Img(I(path: "my image.img")));
        yield return C("image from a file and a LUN", "Path", Img(I(lun: "ok1")));
        yield return C("image from nothing", "Path", Img(I(path: null)));
        yield return C("image description with escapes", "Description", Img(I() with { Description = "a\u001b[2Jb" }));
        yield return C("clone of a hostile image name", "Image", Lun(R() with { Image = "deb12;id" }));
        yield return C("clone of image version 0", "ImageVersion", Lun(R() with { Image = "deb12", ImageVersion = 0 }));
        yield return C("clone of image version 100000", "ImageVersion", Lun(R() with { Image = "deb12", ImageVersion = 100000 }));
        yield return C("clone with an image and an image file", "Image", Lun(R() with { Image = "deb12", SourceImage = "golden/deb12.img" }));
        yield return C("snapshot name with semicolon", "Snapshot", async e => (await e.CheckpointLunsAsync(new[] { new LunCheckpointRequest("ok1", "a;b") }))[0]);
        yield return C("snapshot name of 64 characters", "Snapshot", async e => (await e.CheckpointLunsAsync(new[] { new LunCheckpointRequest("ok1", new string('s', 64)) }))[0]);
        yield return C("snapshot description with escapes", "Description", async e => (await e.CheckpointLunsAsync(new[] { new LunCheckpointRequest("ok1", "s1", "a\u001b[2Jb") }))[0]);
        yield return C("checkpoint of a hostile LUN name", "Lun", async e => (await e.CheckpointLunsAsync(new[] { new LunCheckpointRequest("ok1;id", "s1") }))[0]);
        yield return C("restore of a hostile snapshot name", "Snapshot", async e => (await e.RestoreLunsAsync(new[] { new LunRestoreRequest("ok1", "../s1") }))[0]);
        yield return C("remove a hostile snapshot name", "Snapshot", async e => (await e.RemoveSnapshotsAsync(new[] { new SnapshotRemoveRequest("ok1", "s1\n") }))[0]);
        yield return C("reset of a hostile LUN name", "Lun", async e => (await e.ResetLunsAsync(new[] { new LunResetRequest("$(reboot)") }))[0]);
        yield return C("rollout to version -1", "ImageVersion", async e => (await e.UpdateLunImagesAsync(new[] { new LunRolloutRequest("ok1", "deb12", -1) }))[0]);
        yield return C("rollout to a hostile image name", "Image", async e => (await e.UpdateLunImagesAsync(new[] { new LunRolloutRequest("ok1", "deb12 x") }))[0]);
        yield return C("rollback with a version", "Rollback", async e => (await e.UpdateLunImagesAsync(new[] { new LunRolloutRequest("ok1", Version: 2, Rollback: true) }))[0]);
        yield return C("remove image version 0", "Version", async e => (await e.RemoveImageAsync(new ImageRemoveRequest("deb12", Version: 0)))[0]);
        yield return C("remove a hostile image name", "Name", async e => (await e.RemoveImageAsync(new ImageRemoveRequest("*")))[0]);
        yield return C("thin pool with semicolon", "ThinPool", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", Storage = StorageKind.Block, ThinPool = "pool;id" })));
        yield return C("thin pool that is an option", "ThinPool", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", Storage = StorageKind.Block, ThinPool = "-pool" })));
        yield return C("thin pool on a FileIO backend", "ThinPool", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", ThinPool = "pool" })));
        yield return C("fill limit 0", "MaxFillPercent", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", MaxFillPercent = 0 })));
        yield return C("fill limit 101", "MaxFillPercent", e => Task.FromResult<object?>(e.AddBackend(new BackendSpec { Name = "b2", MaxFillPercent = 101 })));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadInputIsRefusedBeforeAnythingIsSentOrWritten(string what, string parameter, Func<PureBootEngine, Task<object?>> act)
    {
        var before = Counts();
        var opens = h.Connector.Opens;
        string message;
        try
        {
            var result = await act(h.Engine);
            var outcome = Assert.IsType<LunOutcome>(result);
            Assert.Equal(FailureKind.InvalidArgument, outcome.Failure);
            message = outcome.Error!;
        }
        catch (ValidationException e)
        {
            Assert.Equal(parameter, e.ParamName);
            message = e.Message;
        }
        Assert.Contains($"'{(parameter == "SizeBytes" && what == "resize to zero" ? "SizeBytes" : parameter)}'", message.Replace("'SizeGB'", "'SizeBytes'"));
        Assert.DoesNotContain('\n', message);
        Assert.Equal(opens, h.Connector.Opens);      // nothing sent: no session was even opened
        Assert.Empty(h.Connector.Lines);
        Assert.Equal(before, Counts());              // nothing written
        _ = what;
    }

    [Fact]
    public void TheTableHasAtLeastFortyInputs() => Assert.True(Cases().Count() >= 40);

    (long, long, long, long) Counts()
    {
        using var c = new SqliteConnection($"Data Source={h.DbPath};Mode=ReadOnly;Pooling=False");
        c.Open();
        long Q(string t) { using var cmd = c.CreateCommand(); cmd.CommandText = $"SELECT count(*) FROM {t}"; return (long)cmd.ExecuteScalar()!; }
        return (Q("luns"), Q("nodes"), Q("backends"), Q("audit"));
    }
}
