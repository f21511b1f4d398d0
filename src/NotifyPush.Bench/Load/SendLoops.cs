using System.Diagnostics;

namespace NotifyPush.Bench.Load;

/// <summary>The two ways the bench generates traffic: open loop at a fixed rate, and closed loop as fast as answered.</summary>
internal static class SendLoops
{
    /// <summary>
    /// Starts sends on a fixed schedule (open loop: a slow answer does not delay the next send, so latency is not
    /// hidden by the sender waiting). Sends beyond <paramref name="maxInFlight"/> outstanding are skipped and counted
    /// as <c>client:overload</c>. Returns after the duration, once the started sends have answered.
    /// </summary>
    public static async Task AtRateAsync(NotificationSender sender, double rate, TimeSpan duration, Func<(int Replica, int User)> pick, int maxInFlight, CancellationToken cancellationToken)
    {
        var ticksPerSend = Stopwatch.Frequency / rate;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long started = 0;
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }

            var due = (long)((now - start) / ticksPerSend) + 1;
            for (; started < due; started++)
            {
                if (sender.InFlight >= maxInFlight)
                {
                    sender.Errors.Add("client:overload");
                    continue;
                }

                var (replica, user) = pick();
                _ = sender.SendAsync(replica, [user], cancellationToken);
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        await WaitIdleAsync(sender, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><paramref name="concurrency"/> senders, each sending its next request when the last one is answered.</summary>
    public static async Task ClosedLoopAsync(NotificationSender sender, int concurrency, TimeSpan duration, Func<(int Replica, int[] Users)> pick, CancellationToken cancellationToken)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var loops = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            loops[i] = Task.Run(
                async () =>
                {
                    while (Stopwatch.GetTimestamp() < end && !cancellationToken.IsCancellationRequested)
                    {
                        var (replica, users) = pick();
                        if (!await sender.SendAsync(replica, users, cancellationToken).ConfigureAwait(false))
                        {
                            // Do not spin on a failing server: the error is counted, the next try waits a little.
                            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
                        }
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(loops).ConfigureAwait(false);
    }

    private static async Task WaitIdleAsync(NotificationSender sender, CancellationToken cancellationToken)
    {
        var until = Stopwatch.GetTimestamp() + (20 * Stopwatch.Frequency);
        while (sender.InFlight > 0 && Stopwatch.GetTimestamp() < until)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }
}
