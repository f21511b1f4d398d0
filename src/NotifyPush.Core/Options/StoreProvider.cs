namespace NotifyPush.Core.Options;

/// <summary>The store implementations a deployment can choose.</summary>
public enum StoreProvider
{
    Sqlite,
    Postgres,
}
