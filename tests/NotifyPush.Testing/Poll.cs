using System.Diagnostics;

namespace NotifyPush.Testing;

/// <summary>
/// Waits for a condition that has no event to await (a health flag, a database lock, a port that starts listening)
/// by checking it repeatedly within a deadline. The one place the tests pause between checks: a test never sleeps
/// to let something happen.
/// </summary>
public static class Poll
{
    /// <summary>The pause between two checks.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Checks <paramref name="condition"/> until it holds; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    /// <param name="describe">What the failure message adds about the last state, e.g. what was seen instead.</param>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan timeout, Func<string>? describe = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout, describe);

    /// <summary>Checks <paramref name="condition"/> until it holds; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    /// <param name="describe">What the failure message adds about the last state, e.g. what was seen instead.</param>
    public static Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout, Func<string>? describe = null) =>
        UntilAsync(condition, done => done, what, timeout, describe is null ? null : _ => describe());

    /// <summary>
    /// Reads <paramref name="probe"/> until <paramref name="accept"/> holds for its value and returns that value;
    /// throws <see cref="TimeoutException"/> after <paramref name="timeout"/>. A probe that hangs counts against the
    /// same deadline.
    /// </summary>
    /// <param name="describe">What the failure message says about the last value read.</param>
    /// <param name="interval">The pause between two checks, when a check costs more than reading a flag (a request); <see cref="Interval"/> by default.</param>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> accept, string what, TimeSpan timeout, Func<T, string>? describe = null, TimeSpan? interval = null)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            T value;
            try
            {
                value = await probe().WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what} (the last check did not finish).", ex);
            }

            if (accept(value))
            {
                return value;
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                var last = describe is null ? "" : $"; last: {describe(value)}";
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}{last}.");
            }

            // The pause between checks of a bounded poll, not a wait for the condition itself.
            await Task.Delay(interval ?? Interval);
        }
    }

    /// <summary>Reads <paramref name="probe"/> until <paramref name="accept"/> holds for its value and returns that value.</summary>
    public static Task<T> UntilAsync<T>(Func<T> probe, Func<T, bool> accept, string what, TimeSpan timeout, Func<T, string>? describe = null) =>
        UntilAsync(() => Task.FromResult(probe()), accept, what, timeout, describe);
}
