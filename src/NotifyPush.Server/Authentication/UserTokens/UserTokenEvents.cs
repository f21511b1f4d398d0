using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using NotifyPush.Core.Storage;
using NotifyPush.Server.Endpoints;

namespace NotifyPush.Server.Authentication;

/// <summary>
/// The <see cref="NotifyPushSchemes.UserToken"/> scheme's part that JwtBearer does not do itself: where the token
/// comes from (header, query on the socket and event stream paths, cookie), cheap checks before validation, the user id rules and the
/// token revocation check after it, and short failure reasons that never quote the token.
/// </summary>
internal sealed class UserTokenEvents(IOptions<AuthOptions> authOptions, UserTokenRules rules, SigningKeyDiscovery discovery, TokenRevocationCheck revocation) : JwtBearerEvents
{
    // The connection endpoints, where browsers cannot set a header (WebSocket, EventSource).
    private static readonly PathString[] QueryTokenPaths = [NotificationSocketEndpoint.Path, ServerSentEventsEndpoint.Path];

    private readonly string _cookieName = authOptions.Value.CookieName;

    public override async Task MessageReceived(MessageReceivedContext context)
    {
        var found = UserTokenSource.Read(context.Request, _cookieName, QueryTokenPaths);
        UserTokenSource.Remember(context.HttpContext, found.Source);
        if (found.Error is { } error)
        {
            context.Fail(error);
            return;
        }

        if (found.Token is null)
        {
            context.NoResult();
            return;
        }

        if (await TokenPrecheck.CheckAsync(found.Token, context.Options.TokenValidationParameters.ValidAlgorithms, discovery, context.HttpContext.RequestAborted).ConfigureAwait(false) is { } refused)
        {
            context.Fail(refused);
            return;
        }

        context.Token = found.Token;
    }

    public override async Task TokenValidated(TokenValidatedContext context)
    {
        var check = rules.Check(context.Principal?.Identity as ClaimsIdentity, context.SecurityToken);
        if (!check.Succeeded)
        {
            context.Fail(check.Error!);
            return;
        }

        try
        {
            if (await revocation.CheckAsync(check.UserId!, context.SecurityToken, context.HttpContext.RequestAborted).ConfigureAwait(false) is { } revoked)
            {
                context.Fail(revoked);
                return;
            }
        }
        catch (StoreUnavailableException ex)
        {
            // Not a bad credential: AuthorizationProblemResultHandler answers 503, so the client retries rather than
            // asking for a new token.
            context.Fail(ex);
            return;
        }

        // The request, and so its principal, lives as long as the socket: keep the user id and the source only.
        var source = UserTokenSource.Recall(context.HttpContext);
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(NotifyPushClaimTypes.UserId, check.UserId!), new Claim(NotifyPushClaimTypes.CredentialSource, source.ToString())],
            NotifyPushSchemes.UserToken,
            NotifyPushClaimTypes.UserId,
            roleType: null));
        context.Properties.ExpiresUtc = check.ExpiresAt;
    }

    public override Task AuthenticationFailed(AuthenticationFailedContext context)
    {
        context.Fail(TokenErrors.Describe(context.Exception));
        return Task.CompletedTask;
    }
}
