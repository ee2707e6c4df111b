using System.Globalization;

namespace PureBoot.Core.Lio;

/// <summary>
/// targetcli 2.1.53 command lines. Arguments are values InputValidator allowed (names, IQNs, paths of plain
/// characters, numbers, CHAP values of [A-Za-z0-9._:+~-]), so none can carry targetcli or shell syntax.
/// </summary>
public static class TargetcliCommands
{
    static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
    public static string Tpg(string target) => $"/iscsi/{target}/tpg1";

    /// <summary>For an existing file, which gives the size (PureBoot creates it sparse beforehand).</summary>
    public static string CreateFileIO(string name, string path) => $"/backstores/fileio create name={name} file_or_dev={path}";

    public static string CreateBlock(string name, string device) => $"/backstores/block create name={name} dev={device}";

    public static string DeleteStorageObject(string plugin, string name) => $"/backstores/{plugin} delete {name}";

    public static string CreateTarget(string target) => $"/iscsi create {target}";
    public static string DeleteTarget(string target) => $"/iscsi delete {target}";

    /// <summary>Isolation: no dynamic ACLs, CHAP decided per ACL, no demo-mode writes.</summary>
    public static string SecureTpg(string target) =>
        $"{Tpg(target)} set attribute generate_node_acls=0 authentication=1 demo_mode_write_protect=1 cache_dynamic_acls=0";

    public static string CreatePortal(string target, string address, int port) => $"{Tpg(target)}/portals create {address} {N(port)}";
    public static string DeletePortal(string target, string address, int port) => $"{Tpg(target)}/portals delete {address} {N(port)}";

    /// <summary>add_mapped_luns=false: otherwise LIO maps the new LUN into every existing ACL.</summary>
    public static string CreateLun(string target, string storageObjectPath, int index) =>
        $"{Tpg(target)}/luns create {storageObjectPath} lun={N(index)} add_mapped_luns=false";

    public static string DeleteLun(string target, int index) => $"{Tpg(target)}/luns delete lun{N(index)}";

    /// <summary>add_mapped_luns=false: otherwise the new ACL sees every LUN of the TPG.</summary>
    public static string CreateAcl(string target, string initiator) => $"{Tpg(target)}/acls create {initiator} add_mapped_luns=false";
    public static string DeleteAcl(string target, string initiator) => $"{Tpg(target)}/acls delete {initiator}";

    public static string CreateMappedLun(string target, string initiator, int mappedIndex, int tpgLun) =>
        $"{Tpg(target)}/acls/{initiator} create mapped_lun={N(mappedIndex)} tpg_lun_or_backstore={N(tpgLun)} write_protect=false";

    public static string DeleteMappedLun(string target, string initiator, int mappedIndex) =>
        $"{Tpg(target)}/acls/{initiator} delete {N(mappedIndex)}";

    /// <summary>authentication=1 makes this ACL demand CHAP whatever the TPG says; 0 lets it in without.</summary>
    public static string AclAuthentication(string target, string initiator, bool required) =>
        $"{Tpg(target)}/acls/{initiator} set attribute authentication={(required ? 1 : 0)}";

    /// <summary>One line for one-way CHAP, and the mutual credential with it when given.</summary>
    public static string SetChap(string target, string initiator, string user, string secret, string? mutualUser = null, string? mutualSecret = null) =>
        mutualUser is null
            ? $"{Tpg(target)}/acls/{initiator} set auth userid={user} password={secret}"
            : $"{Tpg(target)}/acls/{initiator} set auth userid={user} password={secret} mutual_userid={mutualUser} mutual_password={mutualSecret}";

}
