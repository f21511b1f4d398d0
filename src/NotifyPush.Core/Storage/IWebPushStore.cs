namespace NotifyPush.Core.Storage;

/// <summary>
/// Web Push state kept in the store next to <see cref="INotificationStore"/>: each user's browser push subscriptions,
/// and the queue of pushes to make. The store is the queue: <see cref="INotificationStore.AppendAsync"/> writes one job
/// per recipient of a send with <see cref="AppendRequest.WebPush"/> in the notifications' own transaction, so a
/// committed send's push survives a crash, and workers on every replica claim due jobs with a lease so that two never
/// hold one job at once. Held to the store specification suite.
/// </summary>
/// <remarks>Transient failures surface as <see cref="StoreUnavailableException"/>, as for the notification store.</remarks>
public interface IWebPushStore
{
    /// <summary>
    /// Saves a subscription for its user (an endpoint saved before, by this user or another, is replaced: one browser, one
    /// owner). Returns false, saving nothing, when the user already has <paramref name="maxPerUser"/> other subscriptions.
    /// </summary>
    Task<bool> SavePushSubscriptionAsync(PushSubscriptionRecord subscription, int maxPerUser, CancellationToken cancellationToken);

    /// <summary>The user's subscriptions, oldest first.</summary>
    Task<IReadOnlyList<PushSubscriptionRecord>> GetPushSubscriptionsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>Removes the user's subscription with this endpoint; false when the user has none with it.</summary>
    Task<bool> DeletePushSubscriptionAsync(string userId, string endpoint, CancellationToken cancellationToken);

    /// <summary>Removes every subscription of the user (sign-out); returns how many there were.</summary>
    Task<int> DeletePushSubscriptionsAsync(string userId, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <paramref name="limit"/> jobs due at <paramref name="now"/> whose lease is free or has run out, leasing
    /// each until <paramref name="now"/> + <paramref name="lease"/>; oldest due first. Jobs another worker holds are skipped,
    /// not waited for.
    /// </summary>
    Task<IReadOnlyList<PushJob>> ClaimPushJobsAsync(DateTimeOffset now, TimeSpan lease, int limit, CancellationToken cancellationToken);

    /// <summary>Removes a job that is done (pushed, acknowledged, expired, or given up); false when the lease was lost meanwhile.</summary>
    Task<bool> CompletePushJobAsync(long id, Guid leaseId, CancellationToken cancellationToken);

    /// <summary>Releases a job to be looked at again at <paramref name="dueAt"/>; false when the lease was lost meanwhile.</summary>
    Task<bool> ReschedulePushJobAsync(long id, Guid leaseId, DateTimeOffset dueAt, bool presenceChecked, int attempts, CancellationToken cancellationToken);

    /// <summary>Jobs not yet done, due or not (for operators and tests).</summary>
    Task<long> CountPushJobsAsync(CancellationToken cancellationToken);
}
