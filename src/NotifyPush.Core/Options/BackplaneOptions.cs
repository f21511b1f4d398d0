namespace NotifyPush.Core.Options;

/// <summary>
/// Which backplane connects the replicas. Section <c>NotifyPush:Backplane</c>; the Redis backplane's own settings
/// (<c>Configuration</c>, <c>ChannelPrefix</c>) live in the same section and are bound by its project.
/// </summary>
public sealed class BackplaneOptions
{
    public const string SectionName = "NotifyPush:Backplane";

    /// <summary><c>InProcess</c> (single replica, default) or <c>Redis</c>.</summary>
    public BackplaneProvider Provider { get; set; } = BackplaneProvider.InProcess;
}
