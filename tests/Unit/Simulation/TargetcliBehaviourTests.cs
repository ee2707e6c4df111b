using System.Text.Json.Nodes;
using PureBoot.Core.Lio;
using PureBoot.Simulation;
using Xunit;

namespace PureBoot.Tests.Unit.Simulation;

/// <summary>targetcli behaviour PureBoot depends on, on fresh simulated hosts.</summary>
public class TargetcliBehaviourTests
{
    const string T = "/iscsi/iqn.2026-01.local.pureboot:target1/tpg1";
    const string Acl1 = T + "/acls/iqn.2026-01.local.pureboot:node:aabbcc000001";

    static SimulatedHostState Host()
    {
        var s = SimulatedHostState.CreateDefault();
        s.TargetcliPrefsFileExists = true;
        return s;
    }

    static TargetcliRunResult Run(SimulatedHostState s, params string[] lines) => new TargetcliSimulator(s).Run(lines);

    static readonly string[] CreateNode1 =
    {
        "set global auto_save_on_exit=false",
        "set global auto_add_default_portal=false",
        "/backstores/fileio create name=node1 file_or_dev=/var/lib/pureboot/luns/node1.img size=64M sparse=true write_back=true",
        "/iscsi create iqn.2026-01.local.pureboot:target1",
        T + " set attribute authentication=1 generate_node_acls=0",
        T + "/portals create 0.0.0.0 3260",
        T + "/luns create /backstores/fileio/node1 lun=0 add_mapped_luns=false",
        T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001 add_mapped_luns=false",
        Acl1 + " create mapped_lun=0 tpg_lun_or_backstore=0 write_protect=false",
        Acl1 + " set auth userid=node1user password=secretpass1234",
        "saveconfig",
        "exit",
    };

    // Hand-checked: the fixture saveconfig.json reduced to node1, target1, its LUN 0 and node 000001's ACL (the
    // objects this batch makes), with the generated storage object WWN and LUN aliases replaced.
    const string ExpectedCreateNode1 = """
{
  "fabric_modules": [],
  "storage_objects": [
    {
      "aio": false,
      "alua_tpgs": [
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
      ],
      "attributes": {
        "alua_support": 1,
        "block_size": 512,
        "emulate_3pc": 1,
        "emulate_caw": 1,
        "emulate_dpo": 1,
        "emulate_fua_read": 1,
        "emulate_fua_write": 1,
        "emulate_model_alias": 1,
        "emulate_pr": 1,
        "emulate_rest_reord": 0,
        "emulate_tas": 1,
        "emulate_tpu": 0,
        "emulate_tpws": 0,
        "emulate_ua_intlck_ctrl": 0,
        "emulate_write_cache": 1,
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
      },
      "dev": "/var/lib/pureboot/luns/node1.img",
      "name": "node1",
      "plugin": "fileio",
      "size": 67108864,
      "write_back": true,
      "wwn": "<uuid>"
    }
  ],
  "targets": [
    {
      "fabric": "iscsi",
      "parameters": {
        "cmd_completion_affinity": "-1"
      },
      "tpgs": [
        {
          "attributes": {
            "authentication": 1,
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
          },
          "enable": true,
          "luns": [
            {
              "alias": "<alias>",
              "alua_tg_pt_gp_name": "default_tg_pt_gp",
              "index": 0,
              "storage_object": "/backstores/fileio/node1"
            }
          ],
          "node_acls": [
            {
              "attributes": {
                "authentication": -1,
                "dataout_timeout": 3,
                "dataout_timeout_retries": 5,
                "default_erl": 0,
                "nopin_response_timeout": 30,
                "nopin_timeout": 15,
                "random_datain_pdu_offsets": 0,
                "random_datain_seq_offsets": 0,
                "random_r2t_offsets": 0
              },
              "chap_password": "secretpass1234",
              "chap_userid": "node1user",
              "mapped_luns": [
                {
                  "alias": "<alias>",
                  "index": 0,
                  "tpg_lun": 0,
                  "write_protect": false
                }
              ],
              "node_wwn": "iqn.2026-01.local.pureboot:node:aabbcc000001"
            }
          ],
          "parameters": {
            "AuthMethod": "CHAP",
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
          },
          "portals": [
            {
              "ip_address": "0.0.0.0",
              "iser": false,
              "offload": false,
              "port": 3260
            }
          ],
          "tag": 1
        }
      ],
      "wwn": "iqn.2026-01.local.pureboot:target1"
    }
  ]
}
""";

    [Fact]
    public void FreshCreates_SaveTheExpectedDocument_InTheFixtureShape()
    {
        var host = Host();
        var run = Run(host, CreateNode1);
        Assert.Equal(ExpectedCreateNode1 + "\n", SimFixtures.NormaliseGenerated(run.SavedDocument!));
        Assert.Equal(run.SavedDocument, host.Saved);
        Assert.Equal("""
targetcli shell version 2.1.53
Copyright 2011-2013 by Datera, Inc and others.
For help on commands, type 'help'.

/> Parameter auto_save_on_exit is now 'false'.
/> Parameter auto_add_default_portal is now 'false'.
/> Created fileio node1 with size 67108864
/> Created target iqn.2026-01.local.pureboot:target1.
Created TPG 1.
/> Parameter authentication is now '1'.
Parameter generate_node_acls is now '0'.
/> Using default IP port 3260
Binding to INADDR_ANY (0.0.0.0)
Created network portal 0.0.0.0:3260.
/> Created LUN 0.
/> Created Node ACL for iqn.2026-01.local.pureboot:node:aabbcc000001
/> Created Mapped LUN 0.
/> Parameter userid is now 'node1user'.
Parameter password is now 'secretpass1234'.
/> Configuration saved to /etc/rtslib-fb-target/saveconfig.json
/> 
""".TrimEnd('\n'), run.Stdout);
        Assert.Equal("", run.Stderr);
        // the file targetcli made: 64 MiB, fully allocated (its "sparse" path calls posix_fallocate)
        Assert.Equal(64L << 20, host.Files["/var/lib/pureboot/luns/node1.img"].SizeBytes);
        Assert.Equal(64L << 20, host.Files["/var/lib/pureboot/luns/node1.img"].AllocatedBytes);
    }

    [Fact]
    public void NewObjects_HaveExactlyTheKeysOfTheFixtureObjects()
    {
        var host = Host();
        Run(host, CreateNode1);
        var fixture = JsonNode.Parse(SimFixtures.Read("saveconfig.json"))!.AsObject();
        var saved = JsonNode.Parse(host.Saved!)!.AsObject();
        AssertSameShape(fixture, saved, "$");
    }

    /// <summary>Same keys at every level; arrays compared by their first element; values of the same JSON kind.</summary>
    static void AssertSameShape(JsonNode? expected, JsonNode? actual, string where)
    {
        switch (expected)
        {
            case JsonObject eo:
                var ao = Assert.IsType<JsonObject>(actual);
                Assert.True(eo.Select(k => k.Key).OrderBy(k => k).SequenceEqual(ao.Select(k => k.Key).OrderBy(k => k)),
                    $"{where}: keys {string.Join(",", eo.Select(k => k.Key).OrderBy(k => k))} vs {string.Join(",", ao.Select(k => k.Key).OrderBy(k => k))}");
                foreach (var (k, v) in eo) AssertSameShape(v, ao[k], where + "." + k);
                break;
            case JsonArray ea:
                var aa = Assert.IsType<JsonArray>(actual);
                if (ea.Count > 0 && aa.Count > 0) AssertSameShape(ea[0], aa[0], where + "[0]");
                break;
            case JsonValue ev:
                Assert.Equal(ev.GetValueKind(), actual!.GetValueKind());
                break;
        }
    }

    [Fact]
    public void AclCreate_ByDefault_MapsEveryTpgLunIntoTheNewAcl()
    {
        var host = Host();
        var run = Run(host,
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/backstores/fileio create name=b file_or_dev=/var/lib/pureboot/luns/b.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/luns create /backstores/fileio/a lun=0 add_mapped_luns=false",
            T + "/luns create /backstores/fileio/b lun=1 add_mapped_luns=false",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000002 add_mapped_luns=false");
        // the TPG lists its newest LUN first, so the mapping goes in that order
        Assert.Contains("Created Node ACL for iqn.2026-01.local.pureboot:node:aabbcc000001\nCreated mapped LUN 1.\nCreated mapped LUN 0.\n", run.Stdout);
        var tpg = SaveConfigParser.Parse(host.LiveText()).FindTarget("iqn.2026-01.local.pureboot:target1")!.Tpg1!;
        Assert.Equal(new[] { 0, 1 }, tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000001")!.MappedLuns.Select(m => m.TpgLun).OrderBy(x => x));
        Assert.Empty(tpg.FindAcl("iqn.2026-01.local.pureboot:node:aabbcc000002")!.MappedLuns);
    }

    [Fact]
    public void LunCreate_ByDefault_MapsTheNewLunIntoEveryAcl_AndFalseDoesNot()
    {
        var host = Host();
        var run = Run(host,
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/backstores/fileio create name=b file_or_dev=/var/lib/pureboot/luns/b.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001 add_mapped_luns=false",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000002 add_mapped_luns=false",
            T + "/luns create /backstores/fileio/a",
            T + "/luns create /backstores/fileio/b lun=1 add_mapped_luns=false");
        Assert.Contains("/> Created LUN 0.\nCreated LUN 0->0 mapping in node ACL iqn.2026-01.local.pureboot:node:aabbcc000002\n"
                        + "Created LUN 0->0 mapping in node ACL iqn.2026-01.local.pureboot:node:aabbcc000001\n", run.Stdout);
        var tpg = SaveConfigParser.Parse(host.LiveText()).FindTarget("iqn.2026-01.local.pureboot:target1")!.Tpg1!;
        foreach (var acl in tpg.NodeAcls) Assert.Equal(new[] { 0 }, acl.MappedLuns.Select(m => m.TpgLun));
    }

    [Fact]
    public void LunCreate_WithAnExplicitIndexAlreadyMappedInAnAcl_FailsAfterMakingTheLun()
    {
        // targetcli compares the index string with the ints of the ACL's mapped LUNs, so it never finds the clash
        var host = Host();
        var run = Run(host,
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/backstores/fileio create name=b file_or_dev=/var/lib/pureboot/luns/b.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/luns create /backstores/fileio/a lun=0",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001",
            T + "/luns create /backstores/fileio/b lun=0",
            T + "/luns create /backstores/fileio/b lun=5");
        Assert.Equal("This LUN already exists in configFS\n", run.Stderr.Split('\n')[0] + "\n");
        Assert.Contains("/> Created LUN 5.\nCreated LUN 5->5 mapping in node ACL iqn.2026-01.local.pureboot:node:aabbcc000001\n", run.Stdout);
    }

    [Fact]
    public void BackstoreDelete_CascadesToItsLunsAndTheirMappedLunsInEveryTarget()
    {
        var host = Host();
        Run(host,
            "set global auto_add_mapped_luns=false",
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/backstores/fileio create name=b file_or_dev=/var/lib/pureboot/luns/b.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            "/iscsi create iqn.2026-01.local.pureboot:target2",
            T + "/luns create /backstores/fileio/a lun=0",
            T + "/luns create /backstores/fileio/b lun=1",
            "/iscsi/iqn.2026-01.local.pureboot:target2/tpg1/luns create /backstores/fileio/a lun=7",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001",
            Acl1 + " create mapped_lun=0 tpg_lun_or_backstore=0",
            Acl1 + " create mapped_lun=1 tpg_lun_or_backstore=1");
        var run = Run(host, "/backstores/fileio delete a");
        Assert.Contains("/> Deleted storage object a.\n", run.Stdout);
        Assert.Equal("", run.Stderr);
        var live = SaveConfigParser.Parse(host.LiveText());
        Assert.Null(live.FindStorageObject("fileio", "a"));
        var tpg = live.FindTarget("iqn.2026-01.local.pureboot:target1")!.Tpg1!;
        Assert.Equal(new[] { 1 }, tpg.Luns.Select(l => l.Index));
        Assert.Equal(new[] { 1 }, tpg.NodeAcls.Single().MappedLuns.Select(m => m.TpgLun));
        Assert.Empty(live.FindTarget("iqn.2026-01.local.pureboot:target2")!.Tpg1!.Luns);
        Assert.True(host.FileExists("/var/lib/pureboot/luns/a.img"));   // the file is not LIO's to delete
    }

    [Fact]
    public void SetAuth_AnEmptyValueClears_ButAnEmptyValueFollowedByAnotherParameterSwallowsIt()
    {
        var host = Host();
        Run(host,
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001",
            Acl1 + " set auth userid=u password=secretpass1234 mutual_userid=m mutual_password=mutualsecret99");
        var run = Run(host, Acl1 + " set auth mutual_password=", Acl1 + " set auth mutual_userid= password=x");
        Assert.Contains("Parameter mutual_password is now ''.\n", run.Stdout);
        // configshell's grammar lets an empty value take the next word: mutual_userid becomes "password=x"
        Assert.Contains("Parameter mutual_userid is now 'password=x'.\n", run.Stdout);
        var acl = JsonNode.Parse(host.LiveText())!["targets"]![0]!["tpgs"]![0]!["node_acls"]![0]!.AsObject();
        Assert.False(acl.ContainsKey("chap_mutual_password"));
        Assert.Equal("password=x", (string?)acl["chap_mutual_userid"]);
        Assert.Equal("secretpass1234", (string?)acl["chap_password"]);
    }

    [Fact]
    public void TpgAuthentication_TogglesNoneInAuthMethod_AsTheKernelDoes()
    {
        var host = Host();
        var run = Run(host,
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + " set attribute authentication=1",
            T + " get parameter AuthMethod",
            T + " set attribute authentication=0",
            T + " get parameter AuthMethod",
            T + " set attribute authentication=2");
        Assert.Contains("/> AuthMethod=CHAP \n", run.Stdout);
        Assert.Contains("/> AuthMethod=CHAP,None \n", run.Stdout);
        Assert.Equal("Cannot set attribute authentication: [Errno 22] Invalid argument\n", run.Stderr);
    }

    [Fact]
    public void MappedLunWriteProtect_TakesOnlyNumbers_TrueMeansFalse()
    {
        var host = Host();
        Run(host,
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/luns create /backstores/fileio/a lun=0 add_mapped_luns=false",
            T + "/acls create iqn.2026-01.local.pureboot:node:aabbcc000001 add_mapped_luns=false",
            Acl1 + " create mapped_lun=0 tpg_lun_or_backstore=0 write_protect=true",
            Acl1 + " create mapped_lun=1 tpg_lun_or_backstore=0 write_protect=1");
        var acl = SaveConfigParser.Parse(host.LiveText()).Targets[0].Tpg1!.NodeAcls[0];
        Assert.False(acl.MappedLuns.Single(m => m.Index == 0).WriteProtect);
        Assert.True(acl.MappedLuns.Single(m => m.Index == 1).WriteProtect);
    }

    [Fact]
    public void SpecificPortal_CannotJoinAWildcardPortalOnTheSamePort()
    {
        var host = Host();
        var run = Run(host,
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/portals create 192.168.10.5 3260",
            T + "/portals delete 0.0.0.0 3260",
            T + "/portals create 192.168.10.5 3260",
            "/iscsi create iqn.2026-01.local.pureboot:target2");
        Assert.StartsWith("Could not create NetworkPortal in configFS\n", run.Stderr);
        Assert.Contains("Created network portal 192.168.10.5:3260.", run.Stdout);
        Assert.Contains("Default portal not created, TPGs within a target cannot share ip:port.", run.Stdout);
    }

    [Fact]
    public void GlobalPreferences_PersistToTheNextTargetcliStart()
    {
        var host = Host();
        Run(host, "set global auto_add_mapped_luns=false", "set global auto_save_on_exit=false");
        var run = Run(host, "get global auto_add_mapped_luns");
        Assert.Contains("/> auto_add_mapped_luns=false \n", run.Stdout);
        Assert.DoesNotContain("Global pref auto_save_on_exit=true", run.Stdout);
    }

    [Fact]
    public void EndOfInput_WithoutExit_EchoesExitAndSavesWhenAutoSaveIsOn()
    {
        var host = Host();
        var run = Run(host, "/iscsi create iqn.2026-01.local.pureboot:target1");
        Assert.EndsWith("/> exit\nGlobal pref auto_save_on_exit=true\nConfiguration saved to /etc/rtslib-fb-target/saveconfig.json\n", run.Stdout);
        Assert.NotNull(host.Saved);
    }

    [Fact]
    public void AutoCdAfterCreate_ChangesThePrompt()
    {
        var host = Host();
        var run = Run(host, "set global auto_cd_after_create=true", "/iscsi create iqn.2026-01.local.pureboot:target1", "pwd", "exit");
        Assert.Contains("Entering new node /iscsi/iqn.2026-01.local.pureboot:target1/tpg1\n/iscsi/iqn.20...:target1/tpg1> /iscsi/iqn.2026-01.local.pureboot:target1/tpg1\n", run.Stdout);
    }

    [Fact]
    public void AnUnguardedBadLunIndex_KillsTargetcliWithATraceback()
    {
        var host = Host();
        var run = Run(host,
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/iscsi create iqn.2026-01.local.pureboot:target1",
            T + "/luns create /backstores/fileio/a lun=x",
            "/iscsi delete iqn.2026-01.local.pureboot:target1");
        Assert.Equal(1, run.ExitCode);
        Assert.EndsWith("ValueError: invalid literal for int() with base 10: 'x'\n", run.Stderr);
        Assert.NotNull(SaveConfigParser.Parse(host.LiveText()).FindTarget("iqn.2026-01.local.pureboot:target1"));
    }

    [Fact]
    public void FileioCreate_ErrorsInTargetclisOrder()
    {
        var host = Host();
        var run = Run(host,
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img",
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=12Q",
            "/backstores/fileio create name=a file_or_dev=/nope/a.img size=1M",
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/a.img size=1M",
            "/backstores/fileio create name=a file_or_dev=/var/lib/pureboot/luns/other.img size=2M",
            "/backstores/fileio create name=c file_or_dev=/var/lib/pureboot/luns/other.img size=5M",
            "/backstores/block create name=b dev=/dev/pureboot/missing",
            "/backstores/block create name=b dev=/var/lib/pureboot/luns/a.img");
        Assert.Equal(string.Join("\n", new[]
        {
            "Attempting to create file for new fileio backstore, need a size",
            "Cannot interpret size, wrong format: 12Q",
            "Could not open /nope/a.img",
            "Storage object fileio/a exists",
            "Could not open /dev/pureboot/missing",
            "Device /var/lib/pureboot/luns/a.img is not a TYPE_DISK block device",
        }) + "\n", run.Stderr);
        // the second "a" left its new file behind, and "c" reused it with its size
        Assert.Contains("/var/lib/pureboot/luns/other.img exists, using its size (2097152 bytes) instead\nCreated fileio c with size 2097152\n", run.Stdout);
    }
}
