namespace PureBoot.Core.Lio;

/// <summary>What is wrong with a LUN's objects on the target, as a check found it.</summary>
public enum LioProblemKind
{
    NoObjectsRecorded, StorageObjectMissing, StorageObjectOnOtherDevice, StorageObjectWrongSize,
    TargetMissing, TpgOpen, TpgDisabled, PortalMissing, LunMissing, LunExportsOther,
    AclMissing, MappedLunMissing, MappedLunWriteProtected,
    ChapNotRequired, ChapCredentialDiffers, MutualChapCredentialDiffers, MutualChapLeftOver, ChapRequiredWithoutCredential,
    VisibleToOtherInitiator,
}

/// <summary>A typed finding of <see cref="ExportChecks"/>; decisions match on <see cref="Kind"/>, people read <see cref="Message"/>.</summary>
public sealed record LioProblem(LioProblemKind Kind, string Message)
{
    /// <summary>The ACL exists and maps the LUN but its authentication or CHAP settings are not the LUN's.</summary>
    public bool IsAuthentication => Kind is LioProblemKind.ChapNotRequired or LioProblemKind.ChapCredentialDiffers
        or LioProblemKind.MutualChapCredentialDiffers or LioProblemKind.MutualChapLeftOver or LioProblemKind.ChapRequiredWithoutCredential;

    public override string ToString() => Message;
}
