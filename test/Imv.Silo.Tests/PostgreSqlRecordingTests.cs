using System.Text.Json;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.PostgreSql;
using Imv.Persistence.PostgreSql.Recording;
using Imv.Persistence.Recording;
using Imv.Silo.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Imv.Silo.Tests;

/// <summary>The plant recording in PostgreSQL (<see cref="PostgreSqlTwinRecorder"/>) on the real server of the PostgreSQL
/// collection: the recorder alone (round trip, retention, a damaged row), and a silo whose grain state is in PostgreSQL
/// answering time travel, history and a replay from it.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlRecordingTests(PostgreSqlFixture postgres)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private async Task<NpgsqlDataSource> NewDatabaseAsync()
    {
        var dataSource = NpgsqlDataSource.Create(await postgres.Server.CreateDatabaseAsync("rec"));
        await PostgreSqlSchema.MigrateAsync(dataSource, default);
        return dataSource;
    }

    private static async Task<PostgreSqlTwinRecorder> StartAsync(NpgsqlDataSource dataSource, RecordingOptions? options = null)
    {
        var recorder = new PostgreSqlTwinRecorder(options ?? new RecordingOptions { FlushInterval = TimeSpan.FromMilliseconds(20) }, dataSource,
            NullLogger<PostgreSqlTwinRecorder>.Instance);
        await recorder.StartAsync(default);
        return recorder;
    }

    private static TagUpdate[] Readings(int i, DateTimeOffset at) =>
    [
        new("temperature", TagValue.FromDouble(20 + i), TagQuality.Good, at, i),
        new("state", TagValue.FromString(i % 2 == 0 ? "run" : "idle"), TagQuality.Good, at, i),
    ];

    [Fact]
    public async Task Entries_come_back_per_twin_in_order_by_time_by_tag_by_minute_and_for_a_replay()
    {
        await using var dataSource = await NewDatabaseAsync();
        var recorder = await StartAsync(dataSource);
        await using (recorder)
        {
            // 3 twins, 150 s at 1 Hz each (3 minutes touched), one reading refused in every tenth entry.
            for (int i = 0; i < 150; i++)
                foreach (var twin in new[] { "a", "b", "c" })
                {
                    var at = T0.AddSeconds(i);
                    bool[] accepted = i % 10 == 0 ? [true, false] : [];
                    recorder.RecordReadings(twin, at, Readings(i, at), accepted);
                }
            await recorder.FlushAsync();
            Assert.Equal(450, recorder.Committed);
            Assert.Equal(0, recorder.Dropped);
            Assert.Equal((T0, T0.AddSeconds(149)), await recorder.RangeAsync("b"));
            Assert.Null(await recorder.RangeAsync("nobody"));

            var forwards = await recorder.ReadAsync("b", T0.AddSeconds(10), T0.AddSeconds(20)).ToListAsync();
            Assert.Equal(11, forwards.Count);
            Assert.Equal(Enumerable.Range(10, 11).Select(i => T0.AddSeconds(i)), forwards.Select(e => e.At));
            Assert.Single(forwards[0].Readings);   // i = 10: the state reading was refused
            Assert.Equal(2, forwards[1].Readings.Count);
            Assert.Equal(TagValue.FromDouble(31), forwards[1].Readings[0].Value);
            Assert.Equal(11, forwards[1].Readings[0].Sequence);
            Assert.All(forwards, e => Assert.Equal("b", e.TwinId));

            // Newest first past a page (64): what time travel reads.
            var newest = await recorder.ReadAsync("a", T0, T0.AddSeconds(120), newestFirst: true).ToListAsync();
            Assert.Equal(121, newest.Count);
            Assert.Equal(T0.AddSeconds(120), newest[0].At);
            Assert.Equal(T0, newest[^1].At);
            Assert.True(newest.Zip(newest.Skip(1)).All(p => p.First.Position > p.Second.Position));

            // A reader that goes away (an HTTP request aborted) stops the query at its next page; the recorder reads on.
            using (var gone = new CancellationTokenSource())
            {
                int seen = 0;
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                {
                    await foreach (var entry in recorder.ReadAsync("a", T0, T0.AddSeconds(120), newestFirst: true, gone.Token))
                    {
                        seen++;
                        gone.Cancel();
                    }
                });
                Assert.InRange(seen, 1, 64);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await recorder.ReadTagAsync("c", "temperature", T0, T0.AddSeconds(149), gone.Token));
            }
            Assert.Equal(121, await recorder.ReadAsync("a", T0, T0.AddSeconds(120), newestFirst: true).CountAsync());

            var temperature = await recorder.ReadTagAsync("c", "temperature", T0.AddSeconds(100), T0.AddSeconds(149));
            Assert.Equal(Enumerable.Range(100, 50).Select(i => (double)(20 + i)), temperature.Select(t => t.Value.AsDouble()));
            Assert.Equal(T0.AddSeconds(100).UtcTicks, temperature[0].SourceTicks);

            // The replay's source: every twin's rows in recorded order, read only.
            var replay = recorder.OpenForReplay();
            Assert.True(replay.HasEntries("a", T0, T0.AddSeconds(1)));
            Assert.False(replay.HasEntries("a", T0.AddSeconds(150), T0.AddSeconds(200)));
            var rows = replay.ReadRows(T0.AddSeconds(5), T0.AddSeconds(7), t => t != "c").ToList();
            Assert.Equal(["a", "b", "a", "b"], rows.Select(r => r.TwinId));
            Assert.True(rows.Zip(rows.Skip(1)).All(p => p.First.Position < p.Second.Position));
            Assert.Equal(TagValue.FromDouble(25), replay.Decode(rows[0]).Readings[0].Value);
        }
        // After the recorder closed, every minute is written: 08:00 (60 readings), 08:01 (60), 08:02 (30).
        var reader = new PostgreSqlTwinRecorder(new RecordingOptions(), dataSource, NullLogger<PostgreSqlTwinRecorder>.Instance);
        var minutes = await reader.ReadMinutesAsync("a", "temperature", T0, T0.AddMinutes(3));
        Assert.Equal([60L, 60L, 30L], minutes.Select(m => m.Count));
        Assert.Equal(20, minutes[0].Min);
        Assert.Equal(79, minutes[0].Max);
        Assert.Equal(Enumerable.Range(0, 60).Sum(i => 20.0 + i), minutes[0].Sum);
        Assert.Equal(TagValue.FromDouble(169), minutes[2].Last);
        Assert.Equal([54L, 54L, 27L], (await reader.ReadMinutesAsync("a", "state", T0, T0.AddMinutes(3))).Select(m => m.Count));
    }

    [Fact]
    public async Task Retention_deletes_entries_older_than_MaxAge_then_the_oldest_beyond_MaxSizeMb()
    {
        await using var dataSource = await NewDatabaseAsync();
        await using var recorder = await StartAsync(dataSource, new RecordingOptions { FlushInterval = TimeSpan.Zero, MaxAge = TimeSpan.FromHours(1), MaxSizeMb = 1 });
        // 1,000 entries of ~2 KB an hour and more ago, then 1,000 of ~2 KB now: 4 MB counted, the limit 1 MiB.
        var big = TagValue.FromString(new string('x', 2000));
        var now = T0.AddHours(3);
        for (int i = 0; i < 2000; i++)
        {
            var at = i < 1000 ? T0.AddSeconds(i) : now.AddSeconds(i - 2000);
            recorder.RecordReadings("t", at, [new TagUpdate("blob", big, TagQuality.Good, at, i)], []);
            if (i % 200 == 199) await recorder.FlushAsync();   // several commits: size retention cuts between them
        }
        await recorder.FlushAsync();
        Assert.True(recorder.CountedBytes() > 4_000_000, recorder.CountedBytes().ToString(System.Globalization.CultureInfo.InvariantCulture));
        long deleted = recorder.ApplyRetention(now.UtcTicks);
        long kept = await recorder.ReadAsync("t", T0, now).LongCountAsync();
        Assert.Equal(2000, deleted + kept);
        Assert.True(recorder.CountedBytes() <= 1024 * 1024, $"{recorder.CountedBytes()} bytes counted after retention");
        Assert.True(kept is > 200 and < 1000, $"{kept} entries kept");
        // What is kept is the newest: nothing older than an hour, and the last entry.
        var keptRange = await recorder.RangeAsync("t");
        Assert.True(keptRange is { } range && range.First > now.AddHours(-1) && range.Last == now.AddSeconds(-1), keptRange.ToString());
        Assert.Equal(0, recorder.ApplyRetention(now.UtcTicks));
    }

    [Fact]
    public async Task A_damaged_row_is_refused_naming_the_table_and_its_position()
    {
        await using var dataSource = await NewDatabaseAsync();
        await using var recorder = await StartAsync(dataSource);
        for (int i = 0; i < 5; i++) recorder.RecordReadings("d", T0.AddSeconds(i), Readings(i, T0.AddSeconds(i)), []);
        await recorder.FlushAsync();
        long position;
        await using (var c = dataSource.CreateCommand("UPDATE imv_recording SET data = '\\x0203ff'::bytea WHERE position = (SELECT min(position) + 2 FROM imv_recording) RETURNING position"))
            position = (long)(await c.ExecuteScalarAsync())!;
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await recorder.ReadAsync("d", T0, T0.AddSeconds(10)).ToListAsync());
        Assert.Contains("imv_recording", e.Message, StringComparison.Ordinal);
        Assert.Contains($"position {position}", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<InvalidDataException>(async () => await recorder.ReadTagAsync("d", "temperature", T0, T0.AddSeconds(10)));
        Assert.Contains($"position {position}", e.Message, StringComparison.Ordinal);
        var replay = recorder.OpenForReplay();
        e = Assert.Throws<InvalidDataException>(() => replay.ReadRows(T0, T0.AddSeconds(10), _ => true).Select(replay.Decode).ToList());
        Assert.Contains($"imv_recording in PostgreSQL database", e.Message, StringComparison.Ordinal);
        Assert.Contains($"position {position}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_on_postgresql_records_there_and_answers_time_travel_history_and_a_replay_from_it()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("recsilo");
        await using var silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Silo:Storage"] = "AdoNet",
            ["ConnectionStrings:PostgreSql"] = cs,
            ["Silo:Database:Migrate"] = "true",
            ["Recording:FlushInterval"] = "00:00:00.050",
        });
        Assert.IsType<PostgreSqlTwinRecorder>(silo.Services.GetRequiredService<IRecordingReader>());
        Assert.False(File.Exists(Path.ChangeExtension(silo.DataFile, ".recording.db")), "a SQLite recording beside the state");
        const string twin = "site-1.line-01.machine-001";
        var from = DateTimeOffset.UtcNow;
        await TestSilo.EventuallyAsync(async () =>
        {
            using var r = await silo.Client.GetAsync(new Uri($"/api/twins/{twin}/history?tag=temperature&maxPoints=100000&from={Esc(from.AddSeconds(2))}", UriKind.Relative));
            return r.IsSuccessStatusCode && JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("readings").GetInt32() >= 5;
        }, "readings recorded in PostgreSQL", TimeSpan.FromSeconds(60));
        var to = DateTimeOffset.UtcNow;
        await using (var dataSource = NpgsqlDataSource.Create(cs))
        await using (var count = dataSource.CreateCommand("SELECT count(DISTINCT twin) FROM imv_recording"))
            Assert.True((long)(await count.ExecuteScalarAsync())! >= 6);

        var history = await silo.GetAsync($"/api/twins/{twin}/history?tag=temperature&maxPoints=3&from={Esc(from)}&to={Esc(to)}");
        Assert.True(history.GetProperty("downsampled").GetBoolean(), history.ToString());
        var at = from.AddSeconds(2.5);
        var then = await silo.GetAsync($"/api/twins/{twin}?at={Esc(at)}");
        Assert.Equal(at, then.GetProperty("at").GetDateTimeOffset());
        Assert.Contains(then.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() == "temperature");

        var started = await silo.PostAsync("/api/replays", new { from = from.ToString("O"), to = to.ToString("O"), speed = "max" }, 202);
        var id = started.GetProperty("replayId").GetString()!;
        JsonElement view = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            view = await silo.GetAsync($"/api/replays/{id}");
            return view.GetProperty("state").GetString() != "Running";
        }, $"replay {id} finished", TimeSpan.FromSeconds(120));
        Assert.True(view.GetProperty("state").GetString() == "Completed", view.ToString());
        Assert.Equal(6, view.GetProperty("twins").GetInt32());
        Assert.True(view.GetProperty("progress").GetProperty("readings").GetInt64() > 0, view.ToString());
    }

    [Fact]
    public async Task Two_silos_of_a_cluster_share_one_recording_and_each_answers_the_history_of_every_twin()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("reccluster");
        Dictionary<string, string?> Settings(bool simulator) => new()
        {
            ["Silo:Clustering"] = "AdoNet",
            ["Silo:Storage"] = "AdoNet",
            ["Auth:AllowPlainGatewayBeyondLoopback"] = "true",
            ["ConnectionStrings:PostgreSql"] = cs,
            ["Silo:Database:Migrate"] = "true",
            ["Recording:FlushInterval"] = "00:00:00.050",
            ["Simulator:Enabled"] = simulator ? "true" : "false",
            ["Simulator:MachinesPerLine"] = "10",
        };
        await using var first = await TestSilo.StartAsync(settings: Settings(simulator: true));
        await using var second = await TestSilo.StartAsync(settings: Settings(simulator: false));
        var recorders = new[] { first, second }.Select(s => s.Services.GetRequiredService<PostgreSqlTwinRecorder>()).ToArray();
        // 20 twins wherever Orleans placed them (each silo's twins are recorded by that silo's recorder): with a recording
        // per silo, a silo would answer only the history of the twins it held.
        var checkedTwins = new[] { "site-1.line-01.machine-001", "site-1.line-02.machine-010" };
        // The history asked for ends a second in the past (both silos then count the same, finished, readings); the end
        // is chosen once both twins have readings before it, however fast the first readings arrived.
        var to = DateTimeOffset.MinValue;
        await using (var dataSource = NpgsqlDataSource.Create(cs))
        {
            await TestSilo.EventuallyAsync(async () =>
            {
                await using var count = dataSource.CreateCommand("SELECT count(DISTINCT twin) FROM imv_recording");
                return (long)(await count.ExecuteScalarAsync())! == 20;
            }, "every twin in the one recording", TimeSpan.FromSeconds(60));
            await TestSilo.EventuallyAsync(async () =>
            {
                to = DateTimeOffset.UtcNow.AddSeconds(-1);
                await using var count = dataSource.CreateCommand("SELECT count(DISTINCT twin) FROM imv_recording WHERE twin = ANY($1) AND at < $2");
                count.Parameters.AddWithValue(checkedTwins);
                count.Parameters.AddWithValue(to.UtcTicks);
                return (long)(await count.ExecuteScalarAsync())! == checkedTwins.Length;
            }, "readings of both twins a second old", TimeSpan.FromSeconds(60));
        }
        foreach (var r in recorders) await r.FlushAsync();
        foreach (var twin in checkedTwins)
        {
            var path = $"/api/twins/{twin}/history?tag=temperature&maxPoints=100000&to={Esc(to)}";
            var a = await first.GetAsync(path);
            var b = await second.GetAsync(path);
            Assert.True(a.GetProperty("readings").GetInt32() > 0, a.ToString());
            Assert.Equal(a.GetProperty("readings").GetInt32(), b.GetProperty("readings").GetInt32());
        }
    }

    private static string Esc(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));
}
