using PureBoot.Core.Model;
using PureBoot.Core.Operations;

namespace PureBoot.Tests.Integration.Reliability;

/// <summary>
/// Bad inputs for the real transport (after tests/Unit/Engine/HostileInputTests.cs, plus look-alikes, invisible
/// characters, ssh option smuggling and oversized values). Each names the parameter its error must name.
/// The backend "<c>hostile</c>" (an SSH backend on the lab VM), node "web01" and LUN "ok1" exist when they run.
/// </summary>
public static class HostileInputTable
{
    public sealed record Case(string What, string Parameter, Func<PureBootEngine, Task<object?>> Act)
    {
        public override string ToString() => What;
    }

    public static IReadOnlyList<Case> Build(Backend backend, string knownHosts, string identity)
    {
        var list = new List<Case>();
        void C(string what, string param, Func<PureBootEngine, Task<object?>> act) => list.Add(new Case(what, param, act));
        Func<PureBootEngine, Task<object?>> Lun(LunCreateRequest r) => async e => (await e.CreateLunsAsync(new[] { r }))[0];
        LunCreateRequest R(string name = "new1", long size = 16L << 20, string? image = null, string? secret = null, string? user = null,
            bool mutual = false, string? mutualSecret = null, string? mutualUser = null, string? be = null) =>
            new() { Name = name, SizeBytes = size, Backend = be ?? backend.Name, SourceImage = image, ChapSecret = secret, ChapUser = user,
                    MutualChap = mutual, MutualChapSecret = mutualSecret, MutualChapUser = mutualUser };
        Func<PureBootEngine, Task<object?>> Sync(Func<PureBootEngine, object?> f) => e => Task.FromResult(f(e));
        BackendSpec Ssh(string name = "b2") => new()
        {
            Name = name, Transport = TransportKind.Ssh, Host = backend.Host, Port = backend.Port, User = "root",
            IdentityFile = identity, KnownHostsFile = knownHosts, StoragePath = "/var/lib/pureboot/luns/hostile",
        };

        // LUN names: shell and targetcli metacharacters, line breaks, quotes, case, length, look-alikes, invisible characters.
        C("semicolon", "Name", Lun(R("web;reboot")));
        C("command substitution", "Name", Lun(R("$(touch${IFS}/tmp/pwned)")));
        C("backticks", "Name", Lun(R("`id`")));
        C("pipe", "Name", Lun(R("a|b")));
        C("ampersand", "Name", Lun(R("a&&b")));
        C("redirect", "Name", Lun(R("a>/etc/passwd")));
        C("newline + targetcli line", "Name", Lun(R("web\n/iscsi delete iqn")));
        C("carriage return", "Name", Lun(R("web\r")));
        C("single quote", "Name", Lun(R("web'01")));
        C("double quote", "Name", Lun(R("web\"01")));
        C("space", "Name", Lun(R("web 01")));
        C("tab", "Name", Lun(R("web\t01")));
        C("slash / traversal", "Name", Lun(R("../../etc")));
        C("underscore", "Name", Lun(R("web_01")));   // upper case is no longer hostile: names are case-insensitive, stored lower case
        C("leading hyphen (option)", "Name", Lun(R("-rf")));
        C("64 characters", "Name", Lun(R(new string('a', 64))));
        C("empty", "Name", Lun(R("")));
        C("cyrillic look-alike", "Name", Lun(R("wеb01")));
        C("greek omicron look-alike", "Name", Lun(R("web0\u03bf")));
        C("fullwidth letters", "Name", Lun(R("ｗｅｂ01")));
        C("zero-width space", "Name", Lun(R("web\u200b01")));
        C("right-to-left override", "Name", Lun(R("web\u202e10")));
        C("NUL byte", "Name", Lun(R("web\0")));
        C("targetcli key=value", "Name", Lun(R("a name=b")));
        C("heredoc terminator", "Name", Lun(R("PB_TC_x\nEOF")));
        // Sizes.
        C("zero size", "SizeBytes", Lun(R(size: 0)));
        C("negative size", "SizeBytes", Lun(R(size: -(16L << 20))));
        C("long.MinValue", "SizeBytes", Lun(R(size: long.MinValue)));
        C("too small (4 KiB)", "SizeBytes", Lun(R(size: 4096)));
        C("64 TiB + 1 MiB", "SizeBytes", Lun(R(size: (64L << 40) + (1L << 20))));
        C("long.MaxValue", "SizeBytes", Lun(R(size: long.MaxValue)));
        C("not whole 512-byte blocks", "SizeBytes", Lun(R(size: (16L << 20) + 1)));
        // Image paths.
        C("relative traversal", "SourceImage", Lun(R(image: "../../etc/shadow")));
        C("absolute path outside", "SourceImage", Lun(R(image: "/etc/shadow")));
        C("traversal inside an absolute path", "SourceImage", Lun(R(image: backend.StoragePath + "/../../../etc/shadow")));
        C("image with space", "SourceImage", Lun(R(image: "my image.img")));
        C("image with semicolon", "SourceImage", Lun(R(image: "a.img;rm -rf /")));
        C("image with newline", "SourceImage", Lun(R(image: "a.img\nexit")));
        C("image with $()", "SourceImage", Lun(R(image: "$(reboot).img")));
        C("image segment starting with '-'", "SourceImage", Lun(R(image: "-rf.img")));
        C("image with unicode slash look-alike", "SourceImage", Lun(R(image: "..\u2215..\u2215etc\u2215shadow")));
        // CHAP.
        C("secret of 11 characters", "ChapSecret", Lun(R(secret: "short123456")));
        C("secret of 17 characters", "ChapSecret", Lun(R(secret: "abcdefghijklmnopq")));
        C("secret with space", "ChapSecret", Lun(R(secret: "abcdef ghijklmn")));
        C("secret with newline", "ChapSecret", Lun(R(secret: "abcdefgh\nijklmn")));
        C("secret with BEL", "ChapSecret", Lun(R(secret: "abcdefgh\u0007ijklmn")));
        C("secret with DEL", "ChapSecret", Lun(R(secret: "abcdefgh\u007fijklmn")));
        C("secret cyrillic look-alike", "ChapSecret", Lun(R(secret: "аbcdefghijklmn")));
        C("secret with key=value", "ChapSecret", Lun(R(secret: "abc password=xyz")));
        C("secret with single quote", "ChapSecret", Lun(R(secret: "abcdefgh'ijklmn")));
        C("empty secret", "ChapSecret", Lun(R(secret: "")));
        C("mutual secret too short", "MutualChapSecret", Lun(R(mutual: true, mutualSecret: "short")));
        C("mutual secret equal to the secret", "MutualChapSecret", Lun(R(secret: "Same.Secret-123", mutual: true, mutualSecret: "Same.Secret-123")));
        C("chap user with space", "ChapUser", Lun(R(user: "user name")));
        C("chap user with newline", "ChapUser", Lun(R(user: "user\nname")));
        C("chap user of 65 characters", "ChapUser", Lun(R(user: new string('u', 65))));
        C("mutual chap user with semicolon", "MutualChapUser", Lun(R(mutual: true, mutualUser: "tgt;id")));
        C("backend name with shell syntax", "Backend", Lun(R(be: "san1;id")));
        // Nodes: MACs and IQNs.
        C("MAC too short", "MacAddress", Sync(e => e.AddNode("n2", "52:54:00:00:01")));
        C("MAC with command", "MacAddress", Sync(e => e.AddNode("n2", "52:54:00:00:00:02;id")));
        C("MAC with mixed separators", "MacAddress", Sync(e => e.AddNode("n2", "52:54-00:00:00:02")));
        C("broadcast MAC", "MacAddress", Sync(e => e.AddNode("n2", "ff:ff:ff:ff:ff:ff")));
        C("multicast MAC", "MacAddress", Sync(e => e.AddNode("n2", "01:00:5e:00:00:01")));
        C("all-zero MAC", "MacAddress", Sync(e => e.AddNode("n2", "00:00:00:00:00:00")));
        C("MAC with fullwidth digits", "MacAddress", Sync(e => e.AddNode("n2", "５2:54:00:00:00:02")));
        C("malformed IQN", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.bad")));
        C("IQN with space", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.local.x:a b")));
        C("IQN with newline", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.local.x:a\nsaveconfig")));
        C("IQN over 223 bytes", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.local.x:" + new string('a', 210))));
        C("upper-case IQN", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.Local.x:a")));
        C("IQN month 13", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-13.local.x:a")));
        C("eui with 15 hex digits", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "eui.0123456789abcde")));
        C("naa with 20 hex digits", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "naa.0123456789abcdef0123")));
        C("IQN with cyrillic look-alike", "InitiatorIqn", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", "iqn.2026-01.local.x:wеb")));
        C("node name with quote", "Name", Sync(e => e.AddNode("n'2", "52:54:00:00:00:02")));
        C("node hostname with semicolon", "Hostname", Sync(e => e.AddNode("n2", "52:54:00:00:00:02", hostname: "web;id")));
        // Backends: ssh option smuggling, bad paths, ports, IQN prefixes.
        C("host that is an ssh option", "Host", Sync(e => e.AddBackend(Ssh() with { Host = "-oProxyCommand=touch /tmp/pwned" })));
        C("host with space", "Host", Sync(e => e.AddBackend(Ssh() with { Host = "127.0.0.1 -p 22" })));
        C("host with user@", "Host", Sync(e => e.AddBackend(Ssh() with { Host = "root@127.0.0.1" })));
        C("ssh port 0", "Port", Sync(e => e.AddBackend(Ssh() with { Port = 0 })));
        C("ssh port 65536", "Port", Sync(e => e.AddBackend(Ssh() with { Port = 65536 })));
        C("user that is an ssh option", "User", Sync(e => e.AddBackend(Ssh() with { User = "-oProxyCommand=id" })));
        C("user with semicolon", "User", Sync(e => e.AddBackend(Ssh() with { User = "root;id" })));
        C("identity file relative", "IdentityFile", Sync(e => e.AddBackend(Ssh() with { IdentityFile = "id_ed25519" })));
        C("known_hosts with newline", "KnownHostsFile", Sync(e => e.AddBackend(Ssh() with { KnownHostsFile = "/tmp/kh\nProxyCommand=id" })));
        C("storage path traversal", "StoragePath", Sync(e => e.AddBackend(Ssh() with { StoragePath = "/var/lib/../../etc" })));
        C("storage path with quote", "StoragePath", Sync(e => e.AddBackend(Ssh() with { StoragePath = "/var/lib/x'y" })));
        C("storage path relative", "StoragePath", Sync(e => e.AddBackend(Ssh() with { StoragePath = "luns" })));
        C("storage path root", "StoragePath", Sync(e => e.AddBackend(Ssh() with { StoragePath = "/" })));
        C("volume group with semicolon", "StoragePath", Sync(e => e.AddBackend(Ssh() with { Storage = StorageKind.Block, StoragePath = "vg;id" })));
        C("volume group '..'", "StoragePath", Sync(e => e.AddBackend(Ssh() with { Storage = StorageKind.Block, StoragePath = ".." })));
        C("image directory with $()", "ImageDirectory", Sync(e => e.AddBackend(Ssh() with { ImageDirectory = "/var/lib/$(id)" })));
        C("IQN prefix with ':'", "IqnPrefix", Sync(e => e.AddBackend(Ssh() with { IqnPrefix = "iqn.2026-01.x:y" })));
        C("IQN prefix upper case", "IqnPrefix", Sync(e => e.AddBackend(Ssh() with { IqnPrefix = "iqn.2026-01.X.y" })));
        C("portal with command", "PortalAddress", Sync(e => e.AddBackend(Ssh() with { PortalAddress = "0.0.0.0;id" })));
        C("portal host name", "PortalAddress", Sync(e => e.AddBackend(Ssh() with { PortalAddress = "localhost" })));
        C("portal port 70000", "PortalPort", Sync(e => e.AddBackend(Ssh() with { PortalPort = 70000 })));
        C("backend description with escape sequence", "Description", Sync(e => e.AddBackend(Ssh() with { Description = "a\u001b[2Jb" })));
        C("change host of the existing backend to an option", "Host", Sync(e => e.UpdateBackend(backend.Name, u => u.Host = "-oProxyCommand=id")));
        // A trailing line feed: .NET's '$' also matches before a final "\n", so a '^...$' allow-list lets it through.
        C("trailing LF in a LUN name", "Name", Lun(R("lf1\n")));
        C("trailing LF in a CHAP user", "ChapUser", Lun(R("lf2", user: "user\n")));
        C("trailing LF in a node name", "Name", Sync(e => e.AddNode("lf3\n", "52:54:00:00:0f:03")));
        C("trailing LF in an initiator IQN", "InitiatorIqn", Sync(e => e.AddNode("lf4", "52:54:00:00:0f:04", "iqn.2026-01.local.x:lf4\n")));
        C("trailing LF in a host", "Host", Sync(e => e.AddBackend(Ssh("lf5") with { Host = "example.com\n" })));
        C("trailing LF in a user", "User", Sync(e => e.AddBackend(Ssh("lf6") with { User = "root\n" })));
        C("trailing LF in a storage path", "StoragePath", Sync(e => e.AddBackend(Ssh("lf7") with { StoragePath = "/var/lib/pureboot/x\n" })));
        C("trailing LF in a volume group", "StoragePath", Sync(e => e.AddBackend(Ssh("lf8") with { Storage = StorageKind.Block, StoragePath = "pureboot\n" })));
        C("trailing LF in an IQN prefix", "IqnPrefix", Sync(e => e.AddBackend(Ssh("lf9") with { IqnPrefix = "iqn.2026-01.local.x\n" })));
        C("trailing LF in a backend name", "Name", Sync(e => e.AddBackend(Ssh("lf10\n"))));
        // Operations on existing objects (each would open a session if its input were valid).
        C("assign with hostile node", "Node", async e => (await e.AssignLunsAsync(new[] { new LunAssignRequest("ok1", "web01;reboot") }))[0]);
        C("assign hostile LUN name", "Lun", async e => (await e.AssignLunsAsync(new[] { new LunAssignRequest("ok1\n", "web01") }))[0]);
        C("remove hostile LUN name", "Name", async e => (await e.RemoveLunsAsync(new[] { new LunRemoveRequest("ok1;rm") }))[0]);
        C("unassign hostile LUN name", "Lun", async e => (await e.UnassignLunsAsync(new[] { "$(id)" }))[0]);
        C("resize to zero", "SizeBytes", async e => await e.ResizeLunAsync("ok1", 0));
        C("resize to not whole blocks", "SizeBytes", async e => await e.ResizeLunAsync("ok1", (32L << 20) + 7));
        C("description with control characters", "Description", async e => await e.UpdateLunAsync("ok1", "a\u001b[2Jb", null));
        C("CHAP change with a bad secret", "ChapSecret", async e => await e.UpdateLunAsync("ok1", null, new ChapChange { Secret = "x y" }));
        C("sync a hostile backend name", "Backend", async e => await e.SyncTargetAsync("san1;reboot", new SyncOptions()));
        C("status of a hostile backend name", "Backend", async e => await e.GetTargetStatusAsync("../san1"));
        C("test a hostile backend name", "Backend", async e => await e.TestBackendAsync("$(reboot)"));
        // The disk lifecycle: image and snapshot names, versions, image paths, thin pools, fill limits.
        Func<PureBootEngine, Task<object?>> Img(ImageCreateRequest r) => async e => await e.NewImageAsync(r);
        ImageCreateRequest I(string name = "deb12", string? path = "golden/deb12.img", string? lun = null) => new() { Name = name, Backend = backend.Name, Path = path, Lun = lun };
        C("image name with command substitution", "Name", Img(I("$(reboot)")));
        C("image name with newline", "Name", Img(I("deb12\nsaveconfig")));
        C("image path outside the image directory", "Path", Img(I(path: "/etc/shadow")));
        C("image path traversal", "Path", Img(I(path: "../../../etc/shadow")));
        C("image path with a semicolon", "Path", Img(I(path: "a.img;rm -rf /")));
        C("image path with a unicode slash", "Path", Img(I(path: "..\u2215..\u2215etc\u2215shadow")));
        C("image from a file and a LUN", "Path", Img(I(lun: "ok1")));
        C("clone of a hostile image name", "Image", Lun(R() with { Image = "deb12`id`" }));
        C("clone of image version 0", "ImageVersion", Lun(R() with { Image = "deb12", ImageVersion = 0 }));
        C("snapshot name with a quote", "Snapshot", async e => (await e.CheckpointLunsAsync(new[] { new LunCheckpointRequest("ok1", "s'1") }))[0]);
        C("snapshot name with a slash", "Snapshot", async e => (await e.CheckpointLunsAsync(new[] { new LunCheckpointRequest("ok1", "../../etc") }))[0]);
        C("restore of a hostile snapshot name", "Snapshot", async e => (await e.RestoreLunsAsync(new[] { new LunRestoreRequest("ok1", "s1;reboot") }))[0]);
        C("reset of a hostile LUN name", "Lun", async e => (await e.ResetLunsAsync(new[] { new LunResetRequest("ok1\n") }))[0]);
        C("rollout to version 100000", "ImageVersion", async e => (await e.UpdateLunImagesAsync(new[] { new LunRolloutRequest("ok1", "deb12", 100000) }))[0]);
        C("remove image version -1", "Version", async e => (await e.RemoveImageAsync(new ImageRemoveRequest("deb12", Version: -1)))[0]);
        C("thin pool with command substitution", "ThinPool", Sync(e => e.AddBackend(Ssh() with { Storage = StorageKind.Block, StoragePath = "pureboot", ThinPool = "$(id)" })));
        C("fill limit 0", "MaxFillPercent", Sync(e => e.AddBackend(Ssh() with { MaxFillPercent = 0 })));
        return list;
    }
}
