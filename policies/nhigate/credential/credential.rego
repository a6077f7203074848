# Package nhigate.credential governs the credential an identity receives:
# its kind, its lifetime (TTL) and, for static secrets, rotation. Static
# secrets are denied in production unless a spec exception waives
# NHI-CRED-001.
package nhigate.credential

import data.nhigate.lib

# exception waives deny_<name> (or warn_<name>) in this package (see lib.waived).
exception contains [name] if some name in lib.waived

cred := input.spec.credential

deny_nhi_cred_001 contains lib.result("NHI-CRED-001", ["spec", "credential", "kind"], msg) if {
	cred.kind == "static"
	lib.production
	msg := sprintf("static credentials are not allowed in %s: use credential.kind: ephemeral, or add an approved spec exception for NHI-CRED-001", [lib.env_name])
}

deny_nhi_cred_002 contains lib.result("NHI-CRED-002", ["spec", "credential", "rotation"], msg) if {
	cred.kind == "static"
	not lib.duration_ns(object.get(lib.doc, ["spec", "credential", "rotation"], null))
	msg := sprintf("credential.rotation is %s: a static credential needs a rotation period, e.g. rotation: 24h", [lib.shown(["spec", "credential", "rotation"])])
}

warn_nhi_cred_003 contains lib.result("NHI-CRED-003", ["spec", "credential", "kind"], msg) if {
	not object.get(lib.doc, ["spec", "identity", "type"], null) == "workload-identity"
	not object.get(lib.doc, ["spec", "credential", "kind"], null) == "ephemeral"
	msg := sprintf("identity.type %s with credential.kind %s: prefer identity.type: workload-identity or credential.kind: ephemeral", [lib.shown(["spec", "identity", "type"]), lib.shown(["spec", "credential", "kind"])])
}

deny_nhi_cred_004 contains lib.result("NHI-CRED-004", ["spec", "credential", "kind"], msg) if {
	not object.get(lib.doc, ["spec", "credential", "kind"], null) in {"ephemeral", "static"}
	msg := sprintf("credential.kind is %s: write ephemeral or static", [lib.shown(["spec", "credential", "kind"])])
}

ttl_ns := lib.duration_ns(cred.ttl)

deny_nhi_cred_005 contains lib.result("NHI-CRED-005", ["spec", "credential", "ttl"], msg) if {
	not ttl_ns
	msg := sprintf("credential.ttl is %s: write a Go duration such as ttl: 1h", [lib.shown(["spec", "credential", "ttl"])])
}

deny_nhi_cred_005 contains lib.result("NHI-CRED-005", ["spec", "credential", "ttl"], msg) if {
	lib.has_config
	limit := lib.env_limit_ns("maxTTL")
	ttl_ns > limit
	msg := sprintf("credential.ttl %s exceeds the maxTTL of %s (%s): write ttl: %s or less", [cred.ttl, lib.env_name, lib.fmt_duration(limit), lib.fmt_duration(limit)])
}

deny_nhi_cred_005 contains lib.result("NHI-CRED-005", ["spec", "credential", "ttl"], msg) if {
	lib.has_config
	ttl_ns
	not lib.env_limit_ns("maxTTL")
	msg := sprintf("the maxTTL of %s is not a Go duration in the nhigate config, so credential.ttl cannot be checked: fix the configuration", [lib.env_name])
}
