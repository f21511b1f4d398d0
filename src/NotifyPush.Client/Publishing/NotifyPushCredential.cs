using System.Net.Http.Headers;

namespace NotifyPush.Client.Publishing;

/// <summary>
/// How a service authenticates to the service API: an API key (<c>Authorization: ApiKey …</c>) or a service token
/// (<c>Authorization: Bearer …</c>) from a provider. The secret never appears in <c>ToString()</c>, messages or
/// exceptions.
/// </summary>
public abstract class NotifyPushCredential
{
    private NotifyPushCredential()
    {
    }

    /// <summary>An API key whose SHA-256 the server has under <c>NotifyPush:Auth:ApiKeys</c>.</summary>
    public static NotifyPushCredential ApiKey(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        return new ApiKeyCredential(key);
    }

    /// <summary>
    /// A service JWT (the service audience and the <c>notifications:send</c> scope), asked from
    /// <paramref name="tokenProvider"/> before every attempt. The provider should cache the token and renew it before
    /// it expires; a 401 is not retried.
    /// </summary>
    public static NotifyPushCredential ServiceToken(Func<CancellationToken, ValueTask<string>> tokenProvider)
    {
        ArgumentNullException.ThrowIfNull(tokenProvider);
        return new ServiceTokenCredential(tokenProvider);
    }

    /// <summary>The <c>Authorization</c> header for the next attempt.</summary>
    internal abstract ValueTask<AuthenticationHeaderValue> GetHeaderAsync(CancellationToken cancellationToken);

    private sealed class ApiKeyCredential(string key) : NotifyPushCredential
    {
        private readonly AuthenticationHeaderValue _header = new("ApiKey", key);

        internal override ValueTask<AuthenticationHeaderValue> GetHeaderAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_header);

        public override string ToString() => "ApiKey (redacted)";
    }

    private sealed class ServiceTokenCredential(Func<CancellationToken, ValueTask<string>> provider) : NotifyPushCredential
    {
        internal override async ValueTask<AuthenticationHeaderValue> GetHeaderAsync(CancellationToken cancellationToken)
        {
            var token = await provider(cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(token))
            {
                throw new InvalidOperationException("The service token provider returned no token.");
            }

            return new AuthenticationHeaderValue("Bearer", token);
        }

        public override string ToString() => "Bearer service token (redacted)";
    }
}
