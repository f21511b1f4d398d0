namespace NotifyPush.Client.Tests.Publishing;

/// <summary>
/// The package test runs alone: it packs, restores and builds a project of its own, which would take the two shared
/// cores from the timing-sensitive subscriber tests running beside it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClientPackageCollection
{
    public const string Name = "ClientPackage";
}
