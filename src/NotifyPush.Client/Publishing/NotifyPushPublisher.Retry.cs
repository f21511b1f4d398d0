using NotifyPush.Client.Problems;
using NotifyPush.Client.Resilience;

namespace NotifyPush.Client.Publishing;

public sealed partial class NotifyPushPublisher
{
    /// <summary>
    /// Sends the request made by <paramref name="createRequest"/> until it gets a 2xx, a non-retryable answer, or the
    /// retry budget (attempts, total time) is spent. Returns the successful response (body buffered); throws the
    /// <see cref="NotifyPushException"/> of the last failure otherwise.
    /// </summary>
    private async Task<(HttpResponseMessage Response, int Attempts)> SendWithRetriesAsync(
        Func<HttpRequestMessage> createRequest,
        string operation,
        string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var retry = _options.Retry;
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var remaining = retry.TotalTimeout - time.GetElapsedTime(started);
            ProblemResponse? problem = null;
            Exception? failure = null;
            using (var request = createRequest())
            {
                request.Headers.Accept.ParseAdd("application/json");
                request.Headers.Accept.ParseAdd("application/problem+json");
                if (_options.Credential is { } credential)
                {
                    request.Headers.Authorization = await credential.GetHeaderAsync(cancellationToken).ConfigureAwait(false);
                }

                using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                attemptTimeout.CancelAfter(remaining < retry.AttemptTimeout ? (remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1)) : retry.AttemptTimeout);
                HttpResponseMessage? response = null;
                try
                {
                    // ResponseContentRead: the body arrives inside the attempt's time, so a body lost in transit is a
                    // failed attempt to retry, not an exception after the call "succeeded".
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptTimeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        return (response, attempt);
                    }

                    problem = await ProblemReader.ReadAsync(response, time, attemptTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    response?.Dispose();
                    throw;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                {
                    // No answer: connection refused or reset, or the attempt timed out. The request may or may not
                    // have been processed; a send's retry carries the same key, so it cannot store twice.
                    response?.Dispose();
                    failure = ex;
                }

                if (problem is not null)
                {
                    response!.Dispose();
                }
            }

            if (problem is not null && !IsRetryable(problem.StatusCode))
            {
                throw WithKey(ProblemReader.ToException(problem, operation, attempt), idempotencyKey);
            }

            var delay = problem?.RetryAfter is { } retryAfter
                // The server said when; a little jitter keeps the callers it told the same thing from returning together.
                ? retryAfter + FullJitterBackoff.Delay(0, retry.FirstDelay, retry.MaxDelay)
                : FullJitterBackoff.Delay(attempt - 1, retry.FirstDelay, retry.MaxDelay);
            if (attempt >= retry.MaxAttempts || time.GetElapsedTime(started) + delay >= retry.TotalTimeout)
            {
                var exception = problem is not null
                    ? ProblemReader.ToException(problem, operation, attempt)
                    : ProblemReader.NoResponse(operation, attempt, failure!);
                throw WithKey(exception, idempotencyKey);
            }

            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool IsRetryable(int? status) =>
        status is null or 408 or >= 500 || (status == 429 && _options.Retry.RetryRateLimited);

    private static NotifyPushException WithKey(NotifyPushException exception, string? idempotencyKey)
    {
        exception.IdempotencyKey = idempotencyKey;
        return exception;
    }
}
