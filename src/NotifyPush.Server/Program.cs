using NotifyPush.Core;
using NotifyPush.Server.Admin;
using NotifyPush.Server.Authentication;
using NotifyPush.Server.Endpoints;
using NotifyPush.Server.Hosting;
using NotifyPush.Server.Telemetry;
using NotifyPush.Server.WebPush;

var migrateOnly = MigrateCommand.IsRequested(ref args);
var builder = WebApplication.CreateBuilder(args);

builder.Services.AddNotifyPushCore(builder.Configuration);
builder.Services.AddNotifyPushStore(builder.Configuration);
builder.Services.AddNotifyPushBackplane(builder.Configuration);
builder.Services.AddNotifyPushAuthentication(builder.Configuration, builder.Environment);
builder.Services.AddNotifyPushApi(builder.Configuration);
builder.Services.AddNotifyPushShutdown(builder.Configuration);
builder.Services.AddNotifyPushWarmUp(builder.Configuration);
builder.Services.AddNotifyPushCapacity(builder.Configuration);
builder.Services.AddNotifyPushTelemetry(builder.Configuration);
builder.Services.AddNotifyPushOpenApi(builder.Configuration);
builder.Services.AddNotifyPushWebPush(builder.Configuration);

var app = builder.Build();
if (migrateOnly)
{
    return await MigrateCommand.RunAsync(app);
}

app.UseExceptionHandler();
app.UseStatusCodePages();
if (app.Environment.IsDevelopment())
{
    // The demo page; production deployments serve their own front end.
    app.UseDefaultFiles();
    app.UseStaticFiles();
}

// Before UseWebSockets: a socket's queued frames go out in one write.
app.UseSocketWriteCoalescing();
app.UseWebSockets();
app.UseServiceApiTracing();
app.UseAuthentication();
app.UseAuthorization();

app.MapHealthEndpoints();
app.MapNotifyPushMetrics();
app.MapNotifyPushOpenApi();
app.MapClientScript();
var api = app.MapNotificationsApi();
app.MapAdmin(api);
app.MapNotificationSocket();
app.MapServerSentEvents();
app.MapWebPush();
app.MapDevTokenEndpoint();

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to integration tests (WebApplicationFactory).</summary>
public partial class Program;
