using Microsoft.Extensions.Logging;
using NotifyPush.Core.Backplane;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

// Receiving: one subscription and one ordered queue per wanted user.
public sealed partial class RedisNotificationBackplane
{
    /// <summary>Under <c>_gate</c>: subscribes the user's channel and starts handing its messages to the listener.</summary>
    private void StartReceivingLocked(ISubscriber subscriber, string userId, RedisChannel channel)
    {
        ChannelMessageQueue queue;
        try
        {
            // Fire-and-forget, so that this never waits under _gate nor for a Redis that is down: the subscription
            // is in the multiplexer's table from here on, which re-sends it whenever the subscription connection
            // is established again. The caller confirms it with a PING when Redis is up.
            queue = subscriber.Subscribe(channel, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // Only while the multiplexer is being disposed; the user stays wanted without a queue.
            Log.SubscribeFailed(_logger, userId, ex);
            return;
        }

        _wanted[userId] = queue;

        // A queue per user, not an Action handler: the multiplexer runs Action handlers concurrently on the thread
        // pool, while a queue hands its messages over one at a time in arrival order, which keeps each user's
        // publish order (SignalR's RedisHubLifetimeManager does the same).
        queue.OnMessage(message => OnRedisMessage(userId, queue, message));
    }

    /// <summary>
    /// Under <c>_gate</c>, once the user is no longer wanted: removes the queue from the multiplexer's table, so the
    /// channel is not re-sent on reconnect. Returns the command to await, or null when there is none.
    /// </summary>
    private Task? UnsubscribeLocked(string userId, ChannelMessageQueue queue)
    {
        // During an outage an awaited UNSUBSCRIBE could only wait in the multiplexer's backlog until it times out;
        // leaving the table is what matters, and the new connection will not carry the channel.
        var flags = _health.IsConnected ? CommandFlags.None : CommandFlags.FireAndForget;
        try
        {
            var command = queue.UnsubscribeAsync(flags);
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
            if (_wanted.TryRemove(userId, out var queue) && queue is not null)
            {
                command = UnsubscribeLocked(userId, queue);
            }
        }

        if (command is not null)
        {
            ObserveFault(command);
        }
    }

    private void OnRedisMessage(string userId, ChannelMessageQueue queue, ChannelMessage message)
    {
        if (!_wanted.TryGetValue(userId, out var current) || !ReferenceEquals(current, queue))
        {
            // Unsubscribed while the message was in flight.
            return;
        }

        byte[]? payload = message.Message;
        if (!RedisMessageCodec.TryDecode(payload, out var decoded, out var reason))
        {
            ReportMalformed(message.Channel, payload?.Length ?? 0, reason);
            return;
        }

        if (!string.Equals(decoded.UserId, userId, StringComparison.Ordinal))
        {
            ReportMalformed(message.Channel, payload!.Length, "its user id is not the channel's");
            return;
        }

        var listener = Volatile.Read(ref _listener);
        try
        {
            listener?.OnMessage(decoded);
        }
        catch (Exception ex)
        {
            // Swallowed by the queue's loop otherwise; one user's failure must not stop the others' messages.
            Log.ListenerFailed(_logger, nameof(IBackplaneListener.OnMessage), ex);
        }
    }

    private void ReportMalformed(RedisChannel channel, int length, string reason)
    {
        var level = _malformed.Fail() ? LogLevel.Warning : LogLevel.Debug;
        Log.MessageMalformed(_logger, level, length, channel.ToString(), reason);
    }
}
