using System.Text.Json.Nodes;

namespace PureBoot.Simulation;

/// <summary>
/// Default attribute and parameter values of new LIO objects, as a Debian 12 host (kernel 6.1, rtslib-fb 2.1.75,
/// targetcli-fb 2.1.53) dumps them: taken from tests/Unit/Fixtures/targetcli-2.1.53/saveconfig.json.
/// </summary>
internal static class LioDefaults
{
    public const string DefaultSaveFile = "/etc/rtslib-fb-target/saveconfig.json";
    public const string ConfigFs = "/sys/kernel/config/target";
    public const string TargetcliVersion = "2.1.53";

    const string AluaTpg = """
    {
      "alua_access_state": 0,
      "alua_access_status": 0,
      "alua_access_type": 3,
      "alua_support_active_nonoptimized": 1,
      "alua_support_active_optimized": 1,
      "alua_support_offline": 1,
      "alua_support_standby": 1,
      "alua_support_transitioning": 1,
      "alua_support_unavailable": 1,
      "alua_write_metadata": 0,
      "implicit_trans_secs": 0,
      "name": "default_tg_pt_gp",
      "nonop_delay_msecs": 100,
      "preferred": 0,
      "tg_pt_gp_id": 0,
      "trans_delay_msecs": 0
    }
    """;

    // fileio on kernel 6.1 (fixture). emulate_model_alias and emulate_write_cache are set by targetcli/rtslib.
    const string FileioAttributes = """
    {
      "alua_support": 1,
      "block_size": 512,
      "emulate_3pc": 1,
      "emulate_caw": 1,
      "emulate_dpo": 1,
      "emulate_fua_read": 1,
      "emulate_fua_write": 1,
      "emulate_model_alias": 0,
      "emulate_pr": 1,
      "emulate_rest_reord": 0,
      "emulate_tas": 1,
      "emulate_tpu": 0,
      "emulate_tpws": 0,
      "emulate_ua_intlck_ctrl": 0,
      "emulate_write_cache": 0,
      "enforce_pr_isids": 1,
      "force_pr_aptpl": 0,
      "is_nonrot": 0,
      "max_unmap_block_desc_count": 1,
      "max_unmap_lba_count": 8192,
      "max_write_same_len": 4096,
      "optimal_sectors": 16384,
      "pgr_support": 1,
      "pi_prot_format": 0,
      "pi_prot_type": 0,
      "pi_prot_verify": 0,
      "queue_depth": 128,
      "unmap_granularity": 1,
      "unmap_granularity_alignment": 0,
      "unmap_zeroes_data": 0
    }
    """;

    // iblock on an LVM logical volume, kernel 6.1 (tests/Unit/Fixtures/targetcli-2.1.53-lab/c1-create.merged.saveconfig.json).
    const string BlockAttributes = """
    {
      "alua_support": 1,
      "block_size": 512,
      "emulate_3pc": 1,
      "emulate_caw": 1,
      "emulate_dpo": 1,
      "emulate_fua_read": 1,
      "emulate_fua_write": 1,
      "emulate_model_alias": 0,
      "emulate_pr": 1,
      "emulate_rest_reord": 0,
      "emulate_tas": 1,
      "emulate_tpu": 0,
      "emulate_tpws": 0,
      "emulate_ua_intlck_ctrl": 0,
      "emulate_write_cache": 0,
      "enforce_pr_isids": 1,
      "force_pr_aptpl": 0,
      "is_nonrot": 0,
      "max_unmap_block_desc_count": 1,
      "max_unmap_lba_count": 4194303,
      "max_write_same_len": 4194303,
      "optimal_sectors": 4294967288,
      "pgr_support": 1,
      "pi_prot_format": 0,
      "pi_prot_type": 0,
      "pi_prot_verify": 0,
      "queue_depth": 128,
      "unmap_granularity": 1,
      "unmap_granularity_alignment": 0,
      "unmap_zeroes_data": 0
    }
    """;

    // A new iSCSI TPG after targetcli's create (authentication set to 0 by targetcli).
    const string TpgAttributes = """
    {
      "authentication": 0,
      "cache_dynamic_acls": 0,
      "default_cmdsn_depth": 64,
      "default_erl": 0,
      "demo_mode_discovery": 1,
      "demo_mode_write_protect": 1,
      "fabric_prot_type": 0,
      "generate_node_acls": 0,
      "login_keys_workaround": 1,
      "login_timeout": 15,
      "netif_timeout": 2,
      "prod_mode_write_protect": 0,
      "t10_pi": 0,
      "tpg_enabled_sendtargets": 1
    }
    """;

    const string TpgParameters = """
    {
      "AuthMethod": "CHAP,None",
      "DataDigest": "CRC32C,None",
      "DataPDUInOrder": "Yes",
      "DataSequenceInOrder": "Yes",
      "DefaultTime2Retain": "20",
      "DefaultTime2Wait": "2",
      "ErrorRecoveryLevel": "0",
      "FirstBurstLength": "65536",
      "HeaderDigest": "CRC32C,None",
      "IFMarkInt": "Reject",
      "IFMarker": "No",
      "ImmediateData": "Yes",
      "InitialR2T": "Yes",
      "MaxBurstLength": "262144",
      "MaxConnections": "1",
      "MaxOutstandingR2T": "1",
      "MaxRecvDataSegmentLength": "8192",
      "MaxXmitDataSegmentLength": "262144",
      "OFMarkInt": "Reject",
      "OFMarker": "No",
      "TargetAlias": "LIO Target"
    }
    """;

    const string AclAttributes = """
    {
      "authentication": -1,
      "dataout_timeout": 3,
      "dataout_timeout_retries": 5,
      "default_erl": 0,
      "nopin_response_timeout": 30,
      "nopin_timeout": 15,
      "random_datain_pdu_offsets": 0,
      "random_datain_seq_offsets": 0,
      "random_r2t_offsets": 0
    }
    """;

    static readonly JsonObject AluaTpgNode = Parse(AluaTpg);
    static readonly JsonObject FileioAttributesNode = Parse(FileioAttributes);
    static readonly JsonObject BlockAttributesNode = Parse(BlockAttributes);
    static readonly JsonObject TpgAttributesNode = Parse(TpgAttributes);
    static readonly JsonObject TpgParametersNode = Parse(TpgParameters);
    static readonly JsonObject AclAttributesNode = Parse(AclAttributes);

    static JsonObject Parse(string s) => JsonNode.Parse(s)!.AsObject();
    static JsonObject Clone(JsonObject o) => o.DeepClone().AsObject();

    public static JsonObject EmptyConfig() => new()
    {
        ["fabric_modules"] = new JsonArray(),
        ["storage_objects"] = new JsonArray(),
        ["targets"] = new JsonArray(),
    };

    public static JsonObject FileioStorageObject(string name, string dev, long size, bool writeBack, bool modelAlias, string wwn) => new()
    {
        ["aio"] = false,
        ["alua_tpgs"] = new JsonArray(Clone(AluaTpgNode)),
        ["attributes"] = WithAttrs(Clone(FileioAttributesNode), modelAlias, writeBack),
        ["dev"] = dev,
        ["name"] = name,
        ["plugin"] = "fileio",
        ["size"] = size,
        ["write_back"] = writeBack,
        ["wwn"] = wwn,
    };

    public static JsonObject BlockStorageObject(string name, string dev, bool readOnly, bool modelAlias, string wwn) => new()
    {
        ["alua_tpgs"] = new JsonArray(Clone(AluaTpgNode)),
        ["attributes"] = WithAttrs(Clone(BlockAttributesNode), modelAlias, false),
        ["dev"] = dev,
        ["name"] = name,
        ["plugin"] = "block",
        ["readonly"] = readOnly,
        ["write_back"] = false,
        ["wwn"] = wwn,
    };

    static JsonObject WithAttrs(JsonObject attrs, bool modelAlias, bool writeCache)
    {
        attrs["emulate_model_alias"] = modelAlias ? 1 : 0;
        attrs["emulate_write_cache"] = writeCache ? 1 : 0;
        return attrs;
    }

    public static JsonObject Target(string wwn) => new()
    {
        ["fabric"] = "iscsi",
        ["parameters"] = new JsonObject { ["cmd_completion_affinity"] = "-1" },
        ["tpgs"] = new JsonArray(),
        ["wwn"] = wwn,
    };

    /// <summary>A TPG as the kernel makes it (authentication 1: targetcli sets it to 0 right after).</summary>
    public static JsonObject Tpg(int tag)
    {
        var attrs = Clone(TpgAttributesNode);
        attrs["authentication"] = 1;
        return new JsonObject
        {
            ["attributes"] = attrs,
            ["enable"] = false,
            ["luns"] = new JsonArray(),
            ["node_acls"] = new JsonArray(),
            ["parameters"] = Clone(TpgParametersNode),
            ["portals"] = new JsonArray(),
            ["tag"] = tag,
        };
    }

    public static JsonObject Lun(int index, string storageObjectPath, string alias) => new()
    {
        ["alias"] = alias,
        ["alua_tg_pt_gp_name"] = "default_tg_pt_gp",
        ["index"] = index,
        ["storage_object"] = storageObjectPath,
    };

    public static JsonObject NodeAcl(string wwn) => new()
    {
        ["attributes"] = Clone(AclAttributesNode),
        ["mapped_luns"] = new JsonArray(),
        ["node_wwn"] = wwn,
    };

    public static JsonObject MappedLun(int index, int tpgLun, bool writeProtect, string alias) => new()
    {
        ["alias"] = alias,
        ["index"] = index,
        ["tpg_lun"] = tpgLun,
        ["write_protect"] = writeProtect,
    };

    public static JsonObject Portal(string ip, int port) => new()
    {
        ["ip_address"] = ip,
        ["iser"] = false,
        ["offload"] = false,
        ["port"] = port,
    };
}
