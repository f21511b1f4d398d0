using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// Supplies the <see cref="SigningKeySet"/> of the configured key source: fixed for
/// <c>SigningKey</c> and <c>PublicKeyPem</c>, fetched and cached from OIDC discovery for <c>Authority</c>.
/// </summary>
public sealed partial class SigningKeyResolver : IDisposable
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    private readonly ILogger<SigningKeyResolver> _logger;
    private readonly SigningKeySet? _fixed;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _discovery;
    private readonly HttpClient? _httpClient;
    private readonly string? _configuredIssuer;
    // A reference (not a value tuple) so concurrent readers never see a torn pair.
    private Tuple<OpenIdConnectConfiguration, SigningKeySet>? _lastDiscovered;
    private int _discoveryFailing;

    public SigningKeyResolver(IOptions<JwtOptions> options, ILogger<SigningKeyResolver> logger)
    {
        _logger = logger;
        var jwt = options.Value;
        _configuredIssuer = string.IsNullOrWhiteSpace(jwt.Issuer) ? null : jwt.Issuer;

        if (!string.IsNullOrWhiteSpace(jwt.SigningKey))
        {
            _fixed = new SigningKeySet([SigningKeyMaterial.CreateHmacKey(jwt.SigningKey)], [SecurityAlgorithms.HmacSha256], _configuredIssuer!);
        }
        else if (!string.IsNullOrWhiteSpace(jwt.PublicKeyPem))
        {
            if (!SigningKeyMaterial.TryCreatePublicKey(jwt.PublicKeyPem, out var key, out var algorithm))
            {
                // Options validation refuses such a PEM at start-up; this guards a resolver built without it.
                throw new InvalidOperationException($"{JwtOptions.SectionName}:PublicKeyPem is not a PEM-encoded RSA or EC public key.");
            }

            _fixed = new SigningKeySet([key], [algorithm], _configuredIssuer!);
        }
        else if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            _httpClient = new HttpClient { Timeout = MetadataTimeout };
            var metadataAddress = jwt.Authority.TrimEnd('/') + "/.well-known/openid-configuration";
            _discovery = new ConfigurationManager<OpenIdConnectConfiguration>(
                metadataAddress,
                new OpenIdConnectConfigurationRetriever(),
                new HttpDocumentRetriever(_httpClient) { RequireHttps = jwt.RequireHttpsMetadata })
            {
                RefreshInterval = TimeSpan.FromSeconds(jwt.MetadataRefreshSeconds),
            };
        }
        else
        {
            throw new InvalidOperationException($"{JwtOptions.SectionName}:SigningKey, PublicKeyPem or Authority is required.");
        }
    }

    /// <summary>True when keys come from discovery and may change (a key rotation is picked up by <see cref="RequestRefresh"/>).</summary>
    public bool IsDiscovery => _discovery is not null;

    /// <summary>The current keys, or null when discovery has never succeeded and is failing now.</summary>
    public async ValueTask<SigningKeySet?> GetAsync(CancellationToken cancellationToken)
    {
        if (_fixed is not null)
        {
            return _fixed;
        }

        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await _discovery!.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // ConfigurationManager keeps serving the last good document while the authority is
            // down, so this only happens before the first success. Log the outage once, not per token.
            if (Interlocked.Exchange(ref _discoveryFailing, 1) == 0)
            {
                Log.SigningKeysUnavailable(_logger, exception);
            }

            return null;
        }

        if (Interlocked.Exchange(ref _discoveryFailing, 0) == 1)
        {
            Log.SigningKeysRecovered(_logger);
        }

        var last = Volatile.Read(ref _lastDiscovered);
        if (last is not null && ReferenceEquals(last.Item1, configuration))
        {
            return last.Item2;
        }

        var keys = FromDiscovery(configuration);
        Volatile.Write(ref _lastDiscovered, Tuple.Create(configuration, keys));
        return keys;
    }

    /// <summary>Asks discovery to fetch again on the next call (rate-limited by the configuration manager); no effect for fixed keys.</summary>
    public void RequestRefresh() => _discovery?.RequestRefresh();

    public void Dispose() => _httpClient?.Dispose();

    private SigningKeySet FromDiscovery(OpenIdConnectConfiguration configuration)
    {
        // The retriever converts each JWK into an RsaSecurityKey / ECDsaSecurityKey, which drops
        // its "alg"; the JWK set it came from still has it, matched by key id.
        var statedAlgorithms = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var jwk in configuration.JsonWebKeySet?.Keys ?? [])
        {
            if (!string.IsNullOrEmpty(jwk.KeyId) && !string.IsNullOrEmpty(jwk.Alg))
            {
                statedAlgorithms[jwk.KeyId] = jwk.Alg;
            }
        }

        var keys = new List<SecurityKey>();
        var algorithms = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in configuration.SigningKeys)
        {
            var stated = key.KeyId is { } keyId && statedAlgorithms.TryGetValue(keyId, out var alg) ? alg : null;
            if (AlgorithmOf(key, stated) is { } algorithm)
            {
                algorithms.Add(algorithm);
                keys.Add(key);
            }
        }

        return new SigningKeySet(keys, [.. algorithms], _configuredIssuer ?? configuration.Issuer);
    }

    // Pins each discovered key to one algorithm its type can verify: the JWK's own "alg" when it
    // states one, otherwise the usual one for its key type. Symmetric algorithms and "none" are
    // never taken from discovery, so a token cannot pick HS256 with a public key as the secret.
    private static string? AlgorithmOf(SecurityKey key, string? stated)
    {
        if (!string.IsNullOrEmpty(stated))
        {
            return IsAsymmetric(stated) ? stated : null;
        }

        return key switch
        {
            RsaSecurityKey => SecurityAlgorithms.RsaSha256,
            ECDsaSecurityKey ec => EcAlgorithm(ec.KeySize),
            X509SecurityKey x509 when x509.Certificate.GetRSAPublicKey() is not null => SecurityAlgorithms.RsaSha256,
            X509SecurityKey x509 when x509.Certificate.GetECDsaPublicKey() is { } ec => EcAlgorithm(ec.KeySize),
            JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.RSA } => SecurityAlgorithms.RsaSha256,
            JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.EllipticCurve } jwk => jwk.Crv switch
            {
                JsonWebKeyECTypes.P256 => SecurityAlgorithms.EcdsaSha256,
                JsonWebKeyECTypes.P384 => SecurityAlgorithms.EcdsaSha384,
                JsonWebKeyECTypes.P521 => SecurityAlgorithms.EcdsaSha512,
                _ => null,
            },
            _ => null,
        };
    }

    private static string? EcAlgorithm(int keySize) => keySize switch
    {
        256 => SecurityAlgorithms.EcdsaSha256,
        384 => SecurityAlgorithms.EcdsaSha384,
        521 => SecurityAlgorithms.EcdsaSha512,
        _ => null,
    };

    private static bool IsAsymmetric(string algorithm) => algorithm is
        SecurityAlgorithms.RsaSha256 or SecurityAlgorithms.RsaSha384 or SecurityAlgorithms.RsaSha512 or
        SecurityAlgorithms.RsaSsaPssSha256 or SecurityAlgorithms.RsaSsaPssSha384 or SecurityAlgorithms.RsaSsaPssSha512 or
        SecurityAlgorithms.EcdsaSha256 or SecurityAlgorithms.EcdsaSha384 or SecurityAlgorithms.EcdsaSha512;
}
