using NotifyPush.Core.Backplane;
using StackExchange.Redis;

namespace NotifyPush.Backplane.Redis;

public sealed partial class RedisNotificationBackplane
{
    /// <inheritdoc />
    /// <remarks>
    /// True only when Redis answered the PUBLISH. A stalled Redis keeps the connection open and reports it connected,
    /// so only the answer tells: the command fails after the multiplexer's <c>asyncTimeout</c> (default 5 s, set in
    /// <c>NotifyPush:Backplane:Configuration</c>). The message is not owed: the caller's client retries.
    /// </remarks>
    public async Task<bool> TryPublishNowAsync(BackplaneMessage message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var multiplexer = _multiplexer;
        var subscriber = _subscriber;
        if (multiplexer is null || subscriber is null || !multiplexer.IsConnected)
        {
            ReportPublishFailure(1, null);
            return false;
        }

        // An unroutable user id throws ArgumentException here: the caller validated it, so that is a bug, not an outage.
        var channel = _channels.User(message.UserId);
        var payload = RedisMessageCodec.Encode(message);
        var publish = subscriber.PublishAsync(channel, payload);
        try
        {
            await publish.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ObserveFault(publish);
            throw;
        }
        // RedisTimeoutException is a TimeoutException, not a RedisException.
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            ReportPublishFailure(1, ex);
            return false;
        }

        _publishes.Succeed();
        return true;
    }
}
