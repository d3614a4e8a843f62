using Imv.Client.Connection;
using Npgsql;

namespace Imv.Silo.Hosting;

/// <summary>Refuses a silo whose ClusterId or ServiceId disagrees with the silos already sharing its PostgreSQL
/// database: another ServiceId under the same ClusterId, or another ClusterId while silos of the same ServiceId are
/// alive (two clusters would activate the same grains over the same state).</summary>
internal static class ClusterIdentity
{
    /// <summary>How recent a heartbeat must be for a member of another cluster to count as alive.</summary>
    internal static readonly TimeSpan AliveWindow = TimeSpan.FromMinutes(1);

    /// <summary>Records the pair (first silo of a cluster) and checks it; throws <see cref="SiloConfigurationException"/>.</summary>
    public static async Task CheckAsync(NpgsqlDataSource dataSource, SiloSettings settings, string database, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (settings.Clustering == ClusteringKinds.AdoNet)
        {
            await using var record = new NpgsqlCommand(
                "INSERT INTO imv_cluster_identity (cluster_id, service_id) VALUES (@cluster, @service) ON CONFLICT (cluster_id) DO NOTHING; " +
                "SELECT service_id FROM imv_cluster_identity WHERE cluster_id = @cluster", connection);
            record.Parameters.AddWithValue("cluster", settings.ClusterId);
            record.Parameters.AddWithValue("service", settings.ServiceId);
            var known = (string?)await record.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (known is not null && known != settings.ServiceId)
                throw new SiloConfigurationException(
                    $"Silo:ServiceId = '{settings.ServiceId}': cluster '{settings.ClusterId}' in PostgreSQL {database} runs ServiceId '{known}'. " +
                    "Every silo of a cluster needs the same ServiceId (grain state and reminders are keyed by it).");
        }
        await using var others = new NpgsqlCommand(
            "SELECT m.cluster_id, count(*) FROM imv_cluster_member m JOIN imv_cluster_identity i ON i.cluster_id = m.cluster_id " +
            "WHERE i.service_id = @service AND m.cluster_id <> @cluster AND m.status = 3 AND m.i_am_alive_time > now() - @window " +
            "GROUP BY m.cluster_id LIMIT 1", connection);
        others.Parameters.AddWithValue("service", settings.ServiceId);
        others.Parameters.AddWithValue("cluster", settings.ClusterId);
        others.Parameters.AddWithValue("window", AliveWindow);
        await using var reader = await others.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            throw new SiloConfigurationException(
                $"Silo:ClusterId = '{settings.ClusterId}': {reader.GetInt64(1)} silo(s) of cluster '{reader.GetString(0)}' with the same ServiceId '{settings.ServiceId}' " +
                $"are alive in PostgreSQL {database}. Two clusters would run the same grains over the same state: use ClusterId '{reader.GetString(0)}'.");
    }
}
