namespace NotifyPush.Core.Options;

/// <summary>The backplane implementations a deployment can choose.</summary>
public enum BackplaneProvider
{
    InProcess,
    Redis,
}
