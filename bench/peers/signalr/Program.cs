using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.SignalR;
using Microsoft.IdentityModel.Tokens;
using NotifyPush.Peers.SignalR;

// A per-user push server the way the SignalR documentation builds one: a hub behind JwtBearer, users by their sub
// claim, Clients.User(id).SendAsync, and the Redis backplane between nodes. Configured by the environment as the
// bench starts every peer node (PEER_LISTEN, PEER_REDIS, PEER_CHANNEL_PREFIX, PEER_SIGNING_KEY, PEER_ISSUER,
// PEER_AUDIENCE, PEER_API_KEY). It stores nothing; see bench/peers/README.md.
var builder = WebApplication.CreateSlimBuilder(args);
var settings = PeerSettings.FromEnvironment();
builder.WebHost.UseUrls("http://" + settings.Listen);

builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
{
    options.MapInboundClaims = false;
    options.TokenValidationParameters = new TokenValidationParameters
    {
        ValidIssuer = settings.Issuer,
        ValidAudience = settings.Audience,
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(settings.SigningKey)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
    };
    // Browsers cannot set headers on a WebSocket: the hub also takes the token from access_token.
    options.Events = new JwtBearerEvents
    {
        OnMessageReceived = context =>
        {
            if (context.Request.Path.StartsWithSegments(NotificationHub.Path) && context.Request.Query["access_token"] is { Count: > 0 } token)
            {
                context.Token = token;
            }

            return Task.CompletedTask;
        },
    };
});
builder.Services.AddAuthorization();
builder.Services.AddSingleton<IUserIdProvider, SubjectUserIdProvider>();
builder.Services.AddSingleton<ConnectionCount>();
builder.Services.AddSingleton<SeqCounter>();
builder.Services.AddSignalR().AddStackExchangeRedis(settings.Redis, options =>
    options.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal(settings.ChannelPrefix));

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapHub<NotificationHub>(NotificationHub.Path);
app.MapNotificationsApi(settings.ApiKey);
app.MapGet("/readyz", (ConnectionCount count) => TypedResults.Ok(new { status = "ready", connections = count.Value }));
app.Run();
