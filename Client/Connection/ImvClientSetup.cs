using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Imv.Client.Connection;

/// <summary>Adds the Imv SDK to a host: Orleans' client (<c>UseOrleansClient</c>) on the cluster named by
/// <see cref="ImvClientOptions"/>, and <see cref="ImvClient"/> as a singleton.</summary>
public static class ImvClientSetup
{
    /// <summary>The ADO.NET invariant of PostgreSQL (Npgsql's provider name), as the silos use it.</summary>
    public const string PostgreSqlInvariant = "Npgsql";

    /// <summary>Adds the Orleans client and <see cref="ImvClient"/> to <paramref name="builder"/>. The client connects
    /// when the host starts (and keeps retrying until <see cref="ImvClientOptions.ConnectTimeout"/>, then the start
    /// fails with <see cref="ClusterUnreachableException"/>).</summary>
    public static IHostApplicationBuilder AddImvClient(this IHostApplicationBuilder builder, ImvClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join(Environment.NewLine, problems), nameof(options));
        var deadline = new ConnectDeadline(options);
        builder.UseOrleansClient(client =>
        {
            switch (options.Clustering)
            {
                case ClusteringKinds.AdoNet:
                    client.UseAdoNetClustering(o =>
                    {
                        o.Invariant = PostgreSqlInvariant;
                        o.ConnectionString = options.PostgreSqlConnectionString!;
                    });
                    break;
                case ClusteringKinds.AzureStorage:
                    client.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(options.AzureStorageConnectionString!));
                    break;
                default:
                    client.UseStaticClustering(options.EffectiveGateways.Select(GatewayEndpoint.Resolve).ToArray());
                    break;
            }
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
            client.UseConnectionRetryFilter(deadline.ShouldRetryAsync);
            if (options.Tls.Enabled) client.UseTls(options.Tls.LoadCertificate(), options.Tls.Apply);
            // Without a key the calls still go out, and the silo refuses them naming what is missing.
            if (!string.IsNullOrEmpty(options.ApiKey)) client.AddOutgoingGrainCallFilter(new ApiKeyCallFilter(options.ApiKey));
        });
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(deadline);
        builder.Services.AddSingleton<ImvClient>();
        return builder;
    }
}

/// <summary>The connect retry policy: retry every 500 ms until the connect timeout, remembering the last failure.</summary>
internal sealed class ConnectDeadline(ImvClientOptions options)
{
    private DateTime _giveUpAt = DateTime.MaxValue;

    public Exception? LastFailure { get; private set; }

    public async Task<bool> ShouldRetryAsync(Exception failure, CancellationToken cancellationToken)
    {
        LastFailure = failure;
        if (_giveUpAt == DateTime.MaxValue) _giveUpAt = DateTime.UtcNow + options.ConnectTimeout;
        if (DateTime.UtcNow >= _giveUpAt) return false;
        await Task.Delay(500, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The message naming the cluster, the gateways and the last failure.</summary>
    public string Describe(Exception failure) =>
        $"Could not reach the Imv cluster '{options.ClusterId}' (service '{options.ServiceId}') through {options.Describe()} " +
        $"within {options.ConnectTimeout.TotalSeconds:0.#} s: {Innermost(LastFailure ?? failure).Message}";

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null && e is not System.Net.Sockets.SocketException) e = e.InnerException;
        return e;
    }
}
