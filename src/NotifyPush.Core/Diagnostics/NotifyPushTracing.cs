using System.Diagnostics;
using NotifyPush.Core.Backplane;

namespace NotifyPush.Core.Diagnostics;

/// <summary>
/// The <c>NotifyPush</c> activity source: the send path (the POST, its store append, the doorbell's publish) and, on
/// the replica that holds the user's sockets, the dispatch, linked to the send that caused it.
/// </summary>
/// <remarks>
/// Nothing here lives as long as a socket: an activity per open socket would keep its memory for hours (the reason
/// ASP.NET Core's per-request activity is not used for the socket endpoint). A socket's writes are counted by
/// metrics instead. Activities carry no user id or payload.
/// </remarks>
public static class NotifyPushTracing
{
    /// <summary>The source's name, for <c>AddSource</c>.</summary>
    public const string SourceName = "NotifyPush";

    /// <summary>Most links one publish span carries; a larger batch links its first ones.</summary>
    internal const int MaxLinks = 64;

    /// <summary>The source every NotifyPush activity comes from.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(NotifyPushTracing).Assembly.GetName().Version?.ToString(3));

    /// <summary>
    /// Starts the span of one store call, a child of the current activity; null when nobody listens or the current
    /// trace is not sampled.
    /// </summary>
    public static Activity? StartStoreCall(string operation, string system)
    {
        var activity = Source.StartActivity("notifypush.store." + operation, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", system);
            activity.SetTag("db.operation.name", operation);
        }

        return activity;
    }

    /// <summary>
    /// Starts the span of one backplane publish, linked to the sends whose doorbells it rings (the batch is everyone's,
    /// so it is nobody's child). Null when nobody listens.
    /// </summary>
    public static Activity? StartPublish(IReadOnlyList<BackplaneMessage> batch)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        List<ActivityLink>? links = null;
        for (var i = 0; i < batch.Count && (links?.Count ?? 0) < MaxLinks; i++)
        {
            if (batch[i].TraceContext != default)
            {
                (links ??= []).Add(new ActivityLink(batch[i].TraceContext));
            }
        }

        var activity = Source.StartActivity(ActivityKind.Producer, parentContext: default, links: links, name: "notifypush.backplane.publish");
        activity?.SetTag("messaging.batch.message_count", batch.Count);
        return activity;
    }

    /// <summary>
    /// Starts the span of one dispatch on the receiving replica, linked to the send (a message from a traced send
    /// carries its context). Null when the message carries none or nobody listens.
    /// </summary>
    public static Activity? StartDispatch(in BackplaneMessage message, int localSockets)
    {
        if (message.TraceContext == default || !Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(ActivityKind.Consumer, parentContext: default, links: [new ActivityLink(message.TraceContext)], name: "notifypush.dispatch");
        activity?.SetTag("notifypush.notification.seq", message.Seq);
        activity?.SetTag("notifypush.local_sockets", localSockets);
        return activity;
    }
}
