using static PodShim.Manifest.NameValidation;

namespace PodShim.Manifest;

/// <summary>The API server's Service validation (ValidateService), the parts that apply on one host.</summary>
public static class ServiceValidation
{
    public static IReadOnlyList<string> Validate(Service service)
    {
        ArgumentNullException.ThrowIfNull(service);
        var errs = new ErrorList();
        PodValidation.ValidateObjectMeta(service.Metadata, errs, dnsSubdomainName: false);
        var spec = service.Spec;
        bool headless = spec.ClusterIP == "None";
        if (spec.Ports.Count == 0 && !headless && spec.Type != "ExternalName") errs.Required("spec.ports");
        switch (spec.Type)
        {
            case "ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName": break;
            case "": errs.Required("spec.type"); break;
            default: errs.NotSupported("spec.type", spec.Type, "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"); break;
        }
        if (spec.Type == "ExternalName")
        {
            if (string.IsNullOrEmpty(spec.ExternalName)) errs.Required("spec.externalName");
            else foreach (var msg in IsDns1123Subdomain(spec.ExternalName.TrimEnd('.'))) errs.Invalid("spec.externalName", spec.ExternalName, msg);
        }
        if (spec.ClusterIP is { } ip && ip != "None" && !IsValidIP(ip))
            errs.Invalid("spec.clusterIPs[0]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        bool requireName = spec.Ports.Count > 1;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < spec.Ports.Count; i++)
        {
            var p = spec.Ports[i];
            string path = $"spec.ports[{i}]";
            if (requireName && string.IsNullOrEmpty(p.Name)) errs.Required(path + ".name");
            else if (!string.IsNullOrEmpty(p.Name))
            {
                foreach (var msg in IsDns1123Label(p.Name)) errs.Invalid(path + ".name", p.Name, msg);
                if (!names.Add(p.Name)) errs.Duplicate(path + ".name", p.Name);
            }
            foreach (var msg in IsValidPortNum(p.Port)) errs.Invalid(path + ".port", p.Port, msg);
            if (p.Protocol.Length == 0) errs.Required(path + ".protocol");
            else if (p.Protocol is not ("TCP" or "UDP" or "SCTP")) errs.NotSupported(path + ".protocol", p.Protocol, "SCTP", "TCP", "UDP");
            if (p.TargetPort.StringValue is { } tn)
                foreach (var msg in IsValidPortName(tn)) errs.InvalidRaw(path + ".targetPort", tn, msg);
            else
                foreach (var msg in IsValidPortNum(p.TargetPort.IntValue ?? 0)) errs.InvalidRaw(path + ".targetPort", p.TargetPort.ToString(), msg);
            if (p.NodePort != 0 && spec.Type is not ("NodePort" or "LoadBalancer"))
                errs.Forbidden(path + ".nodePort", "may not be used when `type` is 'ClusterIP'");
            if (!keys.Add($"{p.Protocol}/{p.Port}"))
                errs.InvalidRaw(path, $"{p.Protocol}/{p.Port}", "duplicate port and protocol");
        }
        switch (spec.SessionAffinity)
        {
            case "None" or "ClientIP": break;
            case "": errs.Required("spec.sessionAffinity"); break;
            default: errs.NotSupported("spec.sessionAffinity", spec.SessionAffinity, "ClientIP", "None"); break;
        }
        PodValidation.ValidateLabels(spec.Selector, "spec.selector", errs);
        return errs.Messages();
    }

    public static void ThrowIfInvalid(Service service)
    {
        var errors = Validate(service);
        if (errors.Count > 0)
            throw new ServiceInvalidException(PodValidation.FormatInvalid("Service", service.Metadata.Name, errors), errors);
    }
}
