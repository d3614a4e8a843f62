using System.Globalization;
using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Checks the endpoint list at start; every error names the configuration key and its value.</summary>
public static class OpcUaOptionsValidator
{
    /// <summary>The configuration section of the endpoint list.</summary>
    public const string Section = "Gateways:OpcUa";

    /// <summary>Returns every problem found (empty when the configuration is valid).</summary>
    /// <param name="endpoints">The endpoint list.</param>
    /// <param name="checkFiles">Check that the files named (client certificate) exist; false to judge a
    /// configuration meant for another machine.</param>
    public static IReadOnlyList<string> Validate(IReadOnlyList<OpcUaEndpointOptions> endpoints, bool checkFiles = true)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var e = endpoints[i];
            var key = $"{Section}:{i}";
            if (string.IsNullOrWhiteSpace(e.Name)) errors.Add($"{key}:Name is empty; every endpoint needs a unique name.");
            else if (!names.Add(e.Name)) errors.Add($"{key}:Name = '{e.Name}' is used by another endpoint.");
            if (!Uri.TryCreate(e.EndpointUrl, UriKind.Absolute, out var uri) || uri.Scheme != "opc.tcp")
                errors.Add($"{key}:EndpointUrl = '{e.EndpointUrl}' is not an opc.tcp:// URL.");
            Security(errors, key, e, checkFiles);
            if (string.IsNullOrEmpty(e.UserName) != string.IsNullOrEmpty(e.Password) && !string.IsNullOrEmpty(e.UserName) && e.Password is null)
                errors.Add($"{key}:Password is missing for UserName = '{e.UserName}'.");
            Positive(errors, $"{key}:SamplingIntervalMs", e.SamplingIntervalMs, allowZero: true);
            Positive(errors, $"{key}:PublishingIntervalMs", e.PublishingIntervalMs, allowZero: false);
            if (e.KeepAliveCount == 0) errors.Add($"{key}:KeepAliveCount = 0 must be at least 1.");
            if (e.PublishRequests is < 1 or > 20) errors.Add($"{key}:PublishRequests = {e.PublishRequests} must be between 1 and 20.");
            if (e.MaxNotificationsPerPublish < 0) errors.Add($"{key}:MaxNotificationsPerPublish = {e.MaxNotificationsPerPublish} must be 0 (no limit) or positive.");
            if (e.RequestTimeoutMs < 100) errors.Add($"{key}:RequestTimeoutMs = {e.RequestTimeoutMs} must be at least 100.");
            if (e.ReconnectMinDelayMs < 10 || e.ReconnectMaxDelayMs < e.ReconnectMinDelayMs)
                errors.Add($"{key}:ReconnectMinDelayMs = {e.ReconnectMinDelayMs} / ReconnectMaxDelayMs = {e.ReconnectMaxDelayMs}: need 10 <= min <= max.");
            if (e.LoginRetryMinDelayMs < 100 || e.LoginRetryMaxDelayMs < e.LoginRetryMinDelayMs)
                errors.Add($"{key}:LoginRetryMinDelayMs = {e.LoginRetryMinDelayMs} / LoginRetryMaxDelayMs = {e.LoginRetryMaxDelayMs}: need 100 <= min <= max.");
            if (e.OfflineAfterMs < 0) errors.Add($"{key}:OfflineAfterMs = {e.OfflineAfterMs} must not be negative.");
            Imv.Gateways.Twins.TwinMapping.Validate(key, e.Status, e.StaleAfterMs, e.Twins, errors, e.Alarms);
            Deadbands(errors, key, e.DeadbandAbsolute, e.DeadbandPercent);
            if (e.Nodes.Count == 0 && e.Discovery.Count == 0)
                errors.Add($"{key}: maps no nodes; add {key}:Nodes or {key}:Discovery.");
            if (e.BrowseNamespaceUri is { } defaultUri && string.IsNullOrWhiteSpace(defaultUri))
                errors.Add($"{key}:BrowseNamespaceUri is blank; give a namespace URI or leave it out.");
            for (var j = 0; j < e.Nodes.Count; j++) ValidateNode(errors, $"{key}:Nodes:{j}", e.Nodes[j]);
            for (var j = 0; j < e.Discovery.Count; j++)
            {
                var d = e.Discovery[j];
                var dkey = $"{key}:Discovery:{j}";
                if (string.IsNullOrWhiteSpace(d.Root)) errors.Add($"{dkey}:Root is empty; give a browse path (Plant) or a node id (ns=1;s=Plant).");
                else if (!OpcUaMappingResolver.IsNodeIdRoot(d.Root)) BrowsePath(errors, $"{dkey}:Root", d.Root);
                if (string.IsNullOrWhiteSpace(d.TwinIdTemplate)) errors.Add($"{dkey}:TwinIdTemplate is empty.");
                if (d.MaxDepth is < 0 or > 32) errors.Add($"{dkey}:MaxDepth = {d.MaxDepth} must be between 0 and 32.");
            }
        }
        return errors;
    }

    /// <summary>The channel security of an endpoint, from its options (None, or Basic256Sha256 with Sign
    /// or SignAndEncrypt); null for None. Call after <see cref="Validate"/> found no error.</summary>
    public static Imv.Gateways.OpcUa.Client.UaSecurityOptions? SecurityOf(OpcUaEndpointOptions e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (!Enum.TryParse<Imv.Gateways.OpcUa.Transport.MessageSecurityMode>(e.SecurityMode, ignoreCase: true, out var mode)
            || mode is not (Imv.Gateways.OpcUa.Transport.MessageSecurityMode.Sign or Imv.Gateways.OpcUa.Transport.MessageSecurityMode.SignAndEncrypt))
            return null;
        return new Imv.Gateways.OpcUa.Client.UaSecurityOptions
        {
            Mode = mode,
            PkiPath = e.PkiPath,
            ClientCertificatePath = string.IsNullOrEmpty(e.ClientCertificatePath) ? null : e.ClientCertificatePath,
            ClientCertificatePassword = e.ClientCertificatePassword,
            TrustedServerCertificateThumbprints = [.. e.TrustedServerCertificateThumbprints],
            AutoAcceptUntrustedServerCertificate = e.AutoAcceptUntrustedServerCertificate,
        };
    }

    private static void Security(List<string> errors, string key, OpcUaEndpointOptions e, bool checkFiles)
    {
        var mode = e.SecurityMode?.Trim() ?? "";
        var policy = e.SecurityPolicy?.Trim() ?? "";
        var modeKnown = mode.Equals("None", StringComparison.OrdinalIgnoreCase) || mode.Equals("Sign", StringComparison.OrdinalIgnoreCase)
                        || mode.Equals("SignAndEncrypt", StringComparison.OrdinalIgnoreCase);
        var policyKnown = policy.Equals("None", StringComparison.OrdinalIgnoreCase) || policy.Equals("Basic256Sha256", StringComparison.OrdinalIgnoreCase);
        if (!modeKnown) errors.Add($"{key}:SecurityMode = '{e.SecurityMode}' is not one of None, Sign, SignAndEncrypt.");
        if (!policyKnown) errors.Add($"{key}:SecurityPolicy = '{e.SecurityPolicy}' is not supported; use None or Basic256Sha256.");
        if (!modeKnown || !policyKnown) return;
        var modeNone = mode.Equals("None", StringComparison.OrdinalIgnoreCase);
        var policyNone = policy.Equals("None", StringComparison.OrdinalIgnoreCase);
        if (modeNone != policyNone)
            errors.Add($"{key}:SecurityMode = '{e.SecurityMode}' does not go with SecurityPolicy = '{e.SecurityPolicy}'; None goes with None, Sign and SignAndEncrypt with Basic256Sha256.");
        if (modeNone) return;
        if (!Uri.TryCreate(e.ApplicationUri, UriKind.Absolute, out _))
            errors.Add($"{key}:ApplicationUri = '{e.ApplicationUri}' is not an absolute URI (e.g. urn:imv:opcua-gateway).");
        if (string.IsNullOrWhiteSpace(e.PkiPath))
            errors.Add($"{key}:PkiPath is empty; a secured endpoint needs a folder for its certificates.");
        if (checkFiles && !string.IsNullOrEmpty(e.ClientCertificatePath) && !File.Exists(e.ClientCertificatePath))
            errors.Add($"{key}:ClientCertificatePath = '{e.ClientCertificatePath}' does not exist.");
        for (var j = 0; j < e.TrustedServerCertificateThumbprints.Count; j++)
        {
            var t = e.TrustedServerCertificateThumbprints[j]?.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal) ?? "";
            if (t.Length != 40 || !t.All(Uri.IsHexDigit))
                errors.Add($"{key}:TrustedServerCertificateThumbprints:{j} = '{e.TrustedServerCertificateThumbprints[j]}' is not a SHA-1 thumbprint (40 hex digits).");
        }
    }

    private static void ValidateNode(List<string> errors, string key, OpcUaNodeMapping n)
    {
        if (n.NodeId is null == (n.BrowsePath is null))
            errors.Add($"{key}: give exactly one of NodeId and BrowsePath (NodeId = '{n.NodeId}', BrowsePath = '{n.BrowsePath}').");
        if (n.NodeId is not null && !ConfiguredNodeId.TryParse(n.NodeId, out _, out _, out var nodeError))
            errors.Add($"{key}:NodeId = '{n.NodeId}' {nodeError}.");
        if (n.BrowsePath is not null) BrowsePath(errors, key + ":BrowsePath", n.BrowsePath);
        if (string.IsNullOrWhiteSpace(n.TwinId)) errors.Add($"{key}:TwinId is empty.");
        if (n.Tag is null == (n.Method is null))
            errors.Add($"{key}: give exactly one of Tag and Method (Tag = '{n.Tag}', Method = '{n.Method}').");
        if (n.Method is not null && n.NodeId is not null && !ConfiguredNodeId.TryParse(n.ObjectNodeId, out _, out _, out _))
            errors.Add($"{key}:ObjectNodeId = '{n.ObjectNodeId}' must name the object that owns method node {n.NodeId}.");
        if (n.SamplingIntervalMs is { } s) Positive(errors, key + ":SamplingIntervalMs", s, allowZero: true);
        Deadbands(errors, key, n.DeadbandAbsolute, n.DeadbandPercent);
    }

    private static void BrowsePath(List<string> errors, string key, string path)
    {
        try
        {
            BrowsePathParser.ParseElements(path);
        }
        catch (FormatException ex)
        {
            errors.Add($"{key}: {ex.Message} Elements are Name, 2:Name, {{namespace-uri}}Name or nsu=namespace-uri;Name, separated by '/'.");
        }
    }

    private static void Deadbands(List<string> errors, string key, double? absolute, double? percent)
    {
        if (absolute is < 0) errors.Add($"{key}:DeadbandAbsolute = {absolute.Value.ToString(CultureInfo.InvariantCulture)} must not be negative.");
        if (percent is < 0 or > 100) errors.Add($"{key}:DeadbandPercent = {percent.Value.ToString(CultureInfo.InvariantCulture)} must be between 0 and 100.");
        if (absolute is not null && percent is not null) errors.Add($"{key}: DeadbandAbsolute and DeadbandPercent are exclusive.");
    }

    private static void Positive(List<string> errors, string key, double value, bool allowZero)
    {
        if (double.IsNaN(value) || value < 0 || !allowZero && value == 0)
            errors.Add($"{key} = {value.ToString(CultureInfo.InvariantCulture)} must be {(allowZero ? "zero or positive" : "positive")}.");
    }
}
