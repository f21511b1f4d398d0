using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

// Receiving: one subscription per wanted user, whose handler hands each message to the listener.
public sealed partial class RedisNotificationBackplane
{
    /// <summary>Under <c>_gate</c>: subscribes the user's channel and starts handing its messages to the listener.</summary>
    private void StartReceivingLocked(ISubscriber subscriber, string userId, RedisChannel channel)
    {
        var subscription = new UserSubscription(this, userId);
        try
        {
            // Fire-and-forget, so that this never waits under _gate nor for a Redis that is down: the subscription
            // is in the multiplexer's table from here on, which re-sends it whenever the subscription connection
            // is established again. The caller confirms it with a PING when Redis is up.
            subscriber.Subscribe(channel, subscription.Handler, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // Only while the multiplexer is being disposed; the user stays wanted without a subscription.
            Log.SubscribeFailed(_logger, userId, ex);
            return;
        }

        // A handler, not a ChannelMessageQueue per user: a queue keeps an unbounded channel with a 32-slot segment
        // and a pending read for every subscribed user, about 2.9 KB per user that is idle nearly all the time. The
        // multiplexer runs handlers on the thread pool, so two messages of one user that arrive back to back may
        // reach the listener in either order; the socket sends by seq and fills a seq it has not seen from the
        // store (the gap fill every socket has anyway), so a swap costs that read, never the order.
        _wanted[userId] = subscription;
    }

    /// <summary>
    /// Under <c>_gate</c>, once the user is no longer wanted: removes the handler from the multiplexer's table, so the
    /// channel is not re-sent on reconnect. Returns the command to await, or null when there is none.
    /// </summary>
    private Task? UnsubscribeLocked(string userId, UserSubscription subscription)
    {
        // During an outage an awaited UNSUBSCRIBE could only wait in the multiplexer's backlog until it times out;
        // leaving the table is what matters, and the new connection will not carry the channel.
        var flags = _health.IsConnected ? CommandFlags.None : CommandFlags.FireAndForget;
        try
        {
            var command = _subscriber!.UnsubscribeAsync(_channels.User(userId), subscription.Handler, flags);
            return flags == CommandFlags.FireAndForget ? null : command;
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            Log.UnsubscribeFailed(_logger, userId, ex);
            return null;
        }
    }

    /// <summary>Undoes a subscribe whose caller cancelled it.</summary>
    private void Undo(string userId)
    {
        Task? command = null;
        lock (_gate)
        {
            if (_wanted.TryRemove(userId, out var subscription) && subscription is not null)
            {
                command = UnsubscribeLocked(userId, subscription);
            }
        }

        if (command is not null)
        {
            ObserveFault(command);
        }
    }

    internal void OnRedisMessage(UserSubscription subscription, RedisChannel channel, RedisValue message)
    {
        var userId = subscription.UserId;
        if (!_wanted.TryGetValue(userId, out var current) || !ReferenceEquals(current, subscription))
        {
            // Unsubscribed while the message was in flight.
            return;
        }

        byte[]? payload = message;
        if (!RedisMessageCodec.TryDecode(payload, out var decoded, out var reason))
        {
            ReportMalformed(channel, payload?.Length ?? 0, reason);
            return;
        }

        if (!string.Equals(decoded.UserId, userId, StringComparison.Ordinal))
        {
            ReportMalformed(channel, payload!.Length, "its user id is not the channel's");
            return;
        }

        var listener = Volatile.Read(ref _listener);
        try
        {
            listener?.OnMessage(decoded);
        }
        catch (Exception ex)
        {
            // Swallowed by the multiplexer otherwise; one user's failure must not stop the others' messages.
            Log.ListenerFailed(_logger, nameof(IBackplaneListener.OnMessage), ex);
        }
    }

    private void ReportMalformed(RedisChannel channel, int length, string reason)
    {
        var level = _malformed.Fail() ? LogLevel.Warning : LogLevel.Debug;
        Log.MessageMalformed(_logger, level, length, channel.ToString(), reason);
    }
}
