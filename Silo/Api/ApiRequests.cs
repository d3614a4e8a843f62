using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Api;

/// <summary>Body of <c>POST /api/twins/{id}/commands</c>: write <paramref name="Value"/> to <paramref name="Tag"/>,
/// or call <paramref name="Method"/> with <paramref name="Arguments"/>.</summary>
/// <param name="Issuer">Optional: the authenticated avatar, repeated; any other name is refused (the issuer is who authenticated).</param>
/// <param name="CommandId">Unique id (idempotency key); generated when absent.</param>
/// <param name="IssuerKind">Avatar (the only kind the API accepts).</param>
/// <param name="Tag">The tag to write.</param>
/// <param name="Method">The method to call.</param>
/// <param name="Value">The value to write.</param>
/// <param name="Arguments">The method's input arguments.</param>
/// <param name="LifetimeSeconds">How long the command may take; the twin's default when absent.</param>
public sealed record SubmitCommandBody(
    string? Issuer = null, string? CommandId = null, IssuerKind IssuerKind = IssuerKind.Avatar, string? Tag = null, string? Method = null,
    TagValue Value = default, IReadOnlyList<TagValue>? Arguments = null, double? LifetimeSeconds = null);

/// <summary>Body of <c>POST /api/twins/{id}/lease</c>.</summary>
/// <param name="AvatarId">The avatar taking write control: the caller by default; another avatar needs the right ManageLeases on the twin.</param>
/// <param name="DurationSeconds">How long, in seconds (default 300).</param>
public sealed record LeaseBody(string? AvatarId = null, double DurationSeconds = 300);

/// <summary>Body of <c>POST /api/avatars</c>.</summary>
/// <param name="AvatarId">The new avatar's id.</param>
/// <param name="DisplayName">The name shown.</param>
/// <param name="Kind">User (default) or DigitalHuman.</param>
/// <param name="Role">Worker (default), Supervisor or Manager.</param>
/// <param name="Driver">None, HumanDriven or IntelligentDriven (digital humans).</param>
/// <param name="DrivenBy">The avatar driving a HumanDriven digital human.</param>
/// <param name="SiteMode">OnSite (default) or Remote.</param>
/// <param name="Scopes">Twin ids and organization ids the avatar may command (an organization covers everything below it).</param>
/// <param name="EmployeeNumber">The person's employee number (a personal field, erasable); optional.</param>
/// <param name="Contact">E-mail or phone (a personal field, erasable); optional.</param>
public sealed record RegisterAvatarBody(
    string? AvatarId = null, string? DisplayName = null, AvatarKind Kind = AvatarKind.User, AvatarRole Role = AvatarRole.Worker,
    DigitalHumanDriver Driver = DigitalHumanDriver.None, string? DrivenBy = null, SiteMode SiteMode = SiteMode.OnSite, IReadOnlyList<string>? Scopes = null,
    string? EmployeeNumber = null, string? Contact = null);

/// <summary>Body of <c>PUT /api/avatars/{id}/personal</c>: the avatar's personal fields, replaced as a whole.</summary>
/// <param name="Name">The person's name (also the avatar's display name); required.</param>
/// <param name="EmployeeNumber">The employee number; optional.</param>
/// <param name="Contact">E-mail or phone; optional.</param>
public sealed record PersonalDataBody(string? Name = null, string? EmployeeNumber = null, string? Contact = null);

/// <summary>Body of <c>POST /api/avatars/{id}/sessions</c>.</summary>
/// <param name="Device">Hmd, SmartGlasses, Ar, Vr or Haptic.</param>
/// <param name="DeviceId">The device's own id.</param>
public sealed record OpenSessionBody(InteractiveDevice Device = InteractiveDevice.Ar, string? DeviceId = null);

/// <summary>Body of <c>POST /api/avatars/{id}/supervised</c>.</summary>
/// <param name="AvatarId">The avatar to supervise.</param>
public sealed record SuperviseBody(string? AvatarId = null);

/// <summary>Body of <c>PUT /api/avatars/{id}/active</c>.</summary>
/// <param name="Active">Whether the avatar may act.</param>
public sealed record ActiveBody(bool? Active = null);

/// <summary>Body of <c>PUT /api/loops/{id}/setpoint</c>.</summary>
/// <param name="Setpoint">The new goal for the measured value.</param>
public sealed record SetpointBody(double? Setpoint = null);

/// <summary>Body of <c>POST /api/identities</c>.</summary>
/// <param name="Identifier">The physical identifier (handle, DID, emp:, rfid:, urn:epc:id:, node:, topic:).</param>
/// <param name="VirtualId">The grain key it stands for.</param>
public sealed record BindIdentityBody(string? Identifier = null, string? VirtualId = null);

/// <summary>Body of <c>POST /api/assets</c>.</summary>
/// <param name="AssetId">The asset's id (a currency's code).</param>
/// <param name="Kind">VirtualProperty, IntellectualProperty or DigitalCurrency.</param>
/// <param name="Name">Its name.</param>
/// <param name="BoundTo">What it is bound to (a twin id, a product, a design).</param>
/// <param name="Owner">The owning wallet (a unique asset goes into it; a currency's issuer).</param>
public sealed record RegisterAssetBody(string? AssetId = null, Grains.Interfaces.Assets.AssetKind? Kind = null, string? Name = null, string? BoundTo = null, string? Owner = null);

/// <summary>Body of <c>POST /api/assets/{id}/mint</c>.</summary>
/// <param name="Issuer">The currency's owner (only it may mint).</param>
/// <param name="WalletId">The wallet credited.</param>
/// <param name="Amount">Minor units (&gt; 0).</param>
/// <param name="MintId">Idempotency key; generated when absent.</param>
public sealed record MintBody(string? Issuer = null, string? WalletId = null, long Amount = 0, string? MintId = null);

/// <summary>Body of <c>POST /api/transfers</c>.</summary>
/// <param name="FromWallet">The paying wallet.</param>
/// <param name="ToWallet">The receiving wallet.</param>
/// <param name="AssetId">The asset (a unique asset moves whole: amount 1; a currency by amount).</param>
/// <param name="Amount">Minor units, or 1 for a unique asset.</param>
/// <param name="TransferId">Idempotency key; generated when absent.</param>
/// <param name="Memo">Free text recorded in the ledger.</param>
public sealed record TransferBody(string? FromWallet = null, string? ToWallet = null, string? AssetId = null, long Amount = 0, string? TransferId = null, string? Memo = null);

/// <summary>Body of <c>PUT /api/twins/{id}/shadow/desired</c>.</summary>
/// <param name="Desired">Values wanted by tag; null removes a tag's desired entry.</param>
/// <param name="ExpectedVersion">Apply only if the shadow is at this version (optimistic concurrency).</param>
public sealed record DesiredBody(IReadOnlyDictionary<string, Grains.Interfaces.Twins.TagValue>? Desired = null, long? ExpectedVersion = null);

/// <summary>Body of <c>PUT /api/orgs/{id}/members/{memberId}</c>.</summary>
/// <param name="Role">Viewer, Operator, Supervisor, Manager or Owner.</param>
public sealed record MemberBody(Grains.Interfaces.Organizations.OrganizationRole? Role = null);
