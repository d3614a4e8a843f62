using Imv.Grains.Avatars;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit;

namespace Imv.Grains.Tests.Avatars;

/// <summary>An avatar's personal fields (name, employee number, contact) live in a state of their own and can be
/// erased while its id, role and what names the id stay.</summary>
public class PersonalDataTests
{
    [Fact]
    public void Personal_fields_are_checked_all_at_once()
    {
        Assert.Empty(new PersonalData("Ann Example", "E-1001", "ann@example.org").Problems());
        var problems = new PersonalData(" ", new string('7', 65), new string('@', 321)).Problems();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("'name'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'employeeNumber'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'contact'", StringComparison.Ordinal));
        var state = new PersonalState();
        Assert.Throws<ArgumentException>(() => state.Set(new PersonalData(new string('n', 201))));
        Assert.Null(state.Data);
        Assert.Equal("", state.DisplayName);
    }

    [Fact]
    public async Task Personal_fields_are_kept_apart_erased_on_request_and_stay_erased_across_restarts_and_re_registration()
    {
        var storage = new SharedTestStorage();
        GrainId annId;
        await using (var g = await Grid.StartAsync(silos: 1, storage: storage))
        {
            var ann = g.Factory.GetGrain<IAvatarGrain>("ann");
            annId = ann.GetGrainId();
            Assert.Null(await ann.GetPersonalDataAsync());
            await Assert.ThrowsAnyAsync<InvalidOperationException>(() => ann.ErasePersonalDataAsync());
            await ann.RegisterAsync(new AvatarRegistration("Ann Example", AvatarKind.User, AvatarRole.Worker, Scopes: ["line-1"]));
            var set = await ann.SetPersonalDataAsync(new PersonalData("Ann Example", "E-1001", "ann@example.org"));
            Assert.Equal("E-1001", set.Data!.EmployeeNumber);
            Assert.Equal("Ann Example", (await ann.GetProfileAsync())!.DisplayName);
            await Assert.ThrowsAnyAsync<ArgumentException>(() => ann.SetPersonalDataAsync(new PersonalData("")));

            // The avatar's own state holds no personal field: only the personal state does.
            Assert.DoesNotContain("Ann Example", Utf8(storage.Read("avatar", annId)!.Data), StringComparison.Ordinal);
            Assert.Contains("ann@example.org", Utf8(storage.Read("avatar-personal", annId)!.Data), StringComparison.Ordinal);

            var erased = await ann.ErasePersonalDataAsync();
            Assert.Null(erased.Data);
            Assert.NotNull(erased.ErasedAt);
            var profile = (await ann.GetProfileAsync())!;
            Assert.Equal(PersonalState.ErasedName, profile.DisplayName);
            Assert.Equal(AvatarRole.Worker, profile.Role);
            Assert.Equal(["line-1"], profile.Scopes);
            foreach (var text in new[] { "Ann Example", "E-1001", "ann@example.org" })
                Assert.DoesNotContain(text, Utf8(storage.Read("avatar-personal", annId)!.Data), StringComparison.Ordinal);

            // A layout that registers the avatar again at start does not bring the name back.
            await ann.RegisterAsync(new AvatarRegistration("Ann Example", AvatarKind.User, AvatarRole.Supervisor, Scopes: ["line-1"]));
            Assert.Equal(PersonalState.ErasedName, (await ann.GetProfileAsync())!.DisplayName);
            Assert.Equal(AvatarRole.Supervisor, (await ann.GetProfileAsync())!.Role);
        }
        await using (var g = await Grid.StartAsync(silos: 1, storage: storage))
        {
            var ann = g.Factory.GetGrain<IAvatarGrain>("ann");
            var view = (await ann.GetPersonalDataAsync())!;
            Assert.Null(view.Data);
            Assert.NotNull(view.ErasedAt);
            Assert.Equal(PersonalState.ErasedName, (await ann.GetProfileAsync())!.DisplayName);
            // Given anew on request.
            await ann.SetPersonalDataAsync(new PersonalData("A. Example"));
            Assert.Equal("A. Example", (await ann.GetProfileAsync())!.DisplayName);
            Assert.Null((await ann.GetPersonalDataAsync())!.ErasedAt);
        }
    }

    [Fact]
    public async Task An_avatar_stored_with_its_name_in_the_registration_has_it_moved_to_the_personal_state()
    {
        var storage = new SharedTestStorage();
        await using var services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(AvatarState).Assembly).AddAssembly(typeof(TagValue).Assembly))
            .BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        await using (var g = await Grid.StartAsync(silos: 1, storage: storage))
        {
            var grainId = g.Factory.GetGrain<IAvatarGrain>("old-ann").GetGrainId();
            // As an earlier version wrote it: the name in the registration, no personal state.
            var legacy = new AvatarState { Registration = new AvatarRegistration("Ann Legacy", AvatarKind.User, AvatarRole.Worker), Active = true };
            storage.Write("avatar", grainId, serializer.SerializeToArray(legacy), null);

            var ann = g.Factory.GetGrain<IAvatarGrain>("old-ann");
            Assert.Equal("Ann Legacy", (await ann.GetProfileAsync())!.DisplayName);
            Assert.Equal("Ann Legacy", (await ann.GetPersonalDataAsync())!.Data!.Name);
            Assert.DoesNotContain("Ann Legacy", Utf8(storage.Read("avatar", grainId)!.Data), StringComparison.Ordinal);
            await ann.ErasePersonalDataAsync();
            Assert.Equal(PersonalState.ErasedName, (await ann.GetProfileAsync())!.DisplayName);
        }
    }

    private static string Utf8(byte[] data) => System.Text.Encoding.UTF8.GetString(data);
}
