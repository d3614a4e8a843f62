using System.Text;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Security;

/// <summary>Personal fields of an avatar through the HTTP API: who may read, correct and erase them, and that an
/// erasure leaves the ledger and audit chains whole and the name nowhere in the data files.</summary>
public sealed class PersonalDataTests
{
    private const string Name = "Zelda Quibbleworth";
    private const string EmployeeNumber = "EMP-7731-QX";
    private const string Contact = "zelda.quibbleworth@example.org";

    [Fact]
    public async Task Personal_fields_are_read_and_erased_only_by_their_avatar_or_an_administrator_and_erasure_leaves_no_copy_in_the_files()
    {
        var dataFile = TestSilo.NewDataFile();
        await using (var silo = await TestSilo.StartAsync(dataFile))
        {
            await silo.PostAsync("/api/avatars", new { avatarId = "pd.zelda", displayName = Name, role = "Worker", employeeNumber = EmployeeNumber, contact = Contact, scopes = new[] { "site-1.line-01" } }, 201);
            var zelda = await silo.AsNewAsync("pd.zelda", "Worker", "site-1.line-01");
            var other = await silo.AsNewAsync("pd.other", "Supervisor", "site-1.line-01");

            var own = await zelda.GetAsync("/api/avatars/pd.zelda/personal");
            Assert.Equal(EmployeeNumber, own.GetProperty("data").GetProperty("employeeNumber").GetString());
            Assert.Equal(Contact, (await silo.GetAsync("/api/avatars/pd.zelda/personal")).GetProperty("data").GetProperty("contact").GetString());
            var refused = await other.GetAsync("/api/avatars/pd.zelda/personal", 403);
            Assert.Contains("PersonalData", refused.GetProperty("error").GetString(), StringComparison.Ordinal);
            await other.SendAsync(HttpMethod.Delete, "/api/avatars/pd.zelda/personal", null, 403);
            await silo.GetAsync("/api/avatars/pd.nobody/personal", 404);

            // Every problem of a correction at once.
            var bad = await zelda.SendAsync(HttpMethod.Put, "/api/avatars/pd.zelda/personal", new { name = "", employeeNumber = new string('9', 65), contact = new string('c', 321) }, 400);
            Assert.Equal(3, bad.GetProperty("detail").GetProperty("problems").GetArrayLength());
            await zelda.SendAsync(HttpMethod.Put, "/api/avatars/pd.zelda/personal", new { name = Name, employeeNumber = EmployeeNumber, contact = Contact }, 200);
            Assert.Equal(Name, (await silo.GetAsync("/api/avatars/pd.zelda")).GetProperty("profile").GetProperty("displayName").GetString());

            // Zelda commands a machine: the command record and the audit log name her id.
            await zelda.PostAsync("/api/twins/site-1.line-01.machine-001/commands", new { tag = "speedSetpoint", value = 61 }, 201);

            var erased = await zelda.SendAsync(HttpMethod.Delete, "/api/avatars/pd.zelda/personal", null, 200);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, erased.GetProperty("data").ValueKind);
            Assert.NotEqual(System.Text.Json.JsonValueKind.Null, erased.GetProperty("erasedAt").ValueKind);
            var profile = (await silo.GetAsync("/api/avatars/pd.zelda")).GetProperty("profile");
            Assert.Equal("(erased)", profile.GetProperty("displayName").GetString());
            Assert.Equal("Worker", profile.GetProperty("role").GetString());
            Assert.True((await silo.GetAsync("/api/audit/verify")).GetProperty("isValid").GetBoolean());
            Assert.True((await silo.GetAsync("/api/ledger/verify")).GetProperty("isValid").GetBoolean());
            var audit = await silo.GetAsync("/api/audit?count=1000");
            Assert.Contains(audit.GetProperty("entries").EnumerateArray(), e => e.GetProperty("who").GetString() == "pd.zelda" && e.GetProperty("what").GetString()!.StartsWith("DELETE /api/avatars/pd.zelda/personal", StringComparison.Ordinal));
        }

        // After a stop (the write-behind store checkpoints), none of the fields is anywhere in the data files.
        var files = System.IO.Directory.GetFiles(Path.GetDirectoryName(dataFile)!, Path.GetFileName(dataFile) + "*");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            foreach (var text in new[] { Name, EmployeeNumber, Contact })
                Assert.True(IndexOf(bytes, Encoding.UTF8.GetBytes(text)) < 0, $"'{text}' is still in {Path.GetFileName(file)}");
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);
}
