using System.Net.Http.Headers;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.Extensions.Options;

namespace NotifyPush.Server.WebPush;

/// <summary>
/// Signs the VAPID token of a push to an endpoint on a non-default port with that port in its <c>aud</c>.
/// </summary>
/// <remarks>
/// RFC 8292 §2 makes <c>aud</c> the origin of the push resource, and an origin carries a non-default port.
/// Lib.Net.Http.WebPush 3.3.1 builds the audience from scheme and host only, which is right for every real push
/// service (all on 443) and wrong for one on another port: a strict push service refuses the token. Requests to a
/// default port keep the library's header untouched.
/// </remarks>
public sealed class VapidAudienceHandler : DelegatingHandler
{
    private readonly VapidAuthentication? _vapid;

    public VapidAudienceHandler(IOptions<WebPushOptions> options)
    {
        var settings = options.Value;
        if (settings.Enabled)
        {
            _vapid = new VapidAuthentication(settings.PublicKey, settings.PrivateKey) { Subject = settings.Subject };
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_vapid is not null && request.RequestUri is { IsDefaultPort: false } uri
            && request.Headers.Authorization is { Scheme: "vapid" or "Vapid" })
        {
            var origin = uri.GetLeftPart(UriPartial.Authority);
            request.Headers.Authorization = new AuthenticationHeaderValue("vapid", _vapid.GetVapidSchemeAuthenticationHeaderValueParameter(origin));
        }

        return base.SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _vapid?.Dispose();
        }

        base.Dispose(disposing);
    }
}
