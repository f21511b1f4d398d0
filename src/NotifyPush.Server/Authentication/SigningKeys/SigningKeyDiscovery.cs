using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using NotifyPush.Core.Diagnostics;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The OpenID Connect discovery of <c>NotifyPush:Auth:Jwt:Authority</c>, shared by the user and service token
/// schemes and the in-band refresh so that one document is fetched and cached, not one per scheme. Key rotation
/// is IdentityModel's: a token whose key is unknown makes the handler request a refresh and retry once, at most
/// once per <c>MetadataRefreshSeconds</c>.
/// </summary>
public sealed partial class SigningKeyDiscovery : IDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger<SigningKeyDiscovery> _logger;
    private readonly HttpClient? _httpClient;
    private readonly LogOnce _discovery = new();

    public SigningKeyDiscovery(IOptions<JwtOptions> options, ILogger<SigningKeyDiscovery> logger)
    {
        _logger = logger;
        var jwt = options.Value;
        if (string.IsNullOrWhiteSpace(jwt.Authority))
        {
            return;
        }

        _httpClient = new HttpClient { Timeout = MetadataTimeout };
        ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
            jwt.Authority.TrimEnd('/') + "/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(_httpClient) { RequireHttps = jwt.RequireHttpsMetadata })
        {
            RefreshInterval = TimeSpan.FromSeconds(jwt.MetadataRefreshSeconds),

            // A key the authority withdrew stops verifying at the next refresh, instead of for another hour from a
            // "last known good" copy. A failed fetch still keeps the current document, so an authority outage
            // does not refuse tokens.
            UseLastKnownGoodConfiguration = false,
        };
    }

    /// <summary>The discovery document's manager, or null when the keys are configured directly.</summary>
    public ConfigurationManager<OpenIdConnectConfiguration>? ConfigurationManager { get; }

    /// <summary>
    /// False when discovery has never succeeded and fails now: every token is then refused with
    /// <see cref="TokenErrors.SigningKeysUnavailable"/>. The outage is logged once, and its end once.
    /// Cheap while the document is cached: the manager answers from memory.
    /// </summary>
    public async ValueTask<bool> EnsureAvailableAsync(CancellationToken cancellationToken)
    {
        if (ConfigurationManager is null)
        {
            return true;
        }

        try
        {
            await ConfigurationManager.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The manager keeps serving the last good document while the authority is down, so this only
            // happens before the first success.
            if (_discovery.Fail())
            {
                Log.SigningKeysUnavailable(_logger, exception);
            }

            return false;
        }

        if (_discovery.Succeed())
        {
            Log.SigningKeysRecovered(_logger);
        }

        return true;
    }

    public void Dispose() => _httpClient?.Dispose();
}
