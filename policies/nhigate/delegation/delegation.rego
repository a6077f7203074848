# Package nhigate.delegation holds delegated automation, an identity used by
# an agent or a scheduled job with no human in the loop, to stricter limits
# in every environment: delegated.maxTTL, delegated.maxGrant and no wildcard
# at all. A missing or unknown identity.consumer counts as delegated.
package nhigate.delegation

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

limit_ns(key) := lib.duration_ns(object.get(lib.config, ["delegated", key], null))

deny_nhi_del_001 contains lib.result("NHI-DEL-001", ["spec", "credential", "ttl"], msg) if {
	lib.delegated
	lib.has_config
	limit := limit_ns("maxTTL")
	not ttl_within(limit)
	msg := sprintf("identity.consumer %s is delegated automation, so credential.ttl (%s) must be at most delegated.maxTTL %s: write ttl: %s or less", [lib.consumer_name, lib.shown(["spec", "credential", "ttl"]), lib.fmt_duration(limit), lib.fmt_duration(limit)])
}

deny_nhi_del_001 contains lib.result("NHI-DEL-001", ["spec", "credential", "ttl"], msg) if {
	lib.delegated
	lib.has_config
	not limit_ns("maxTTL")
	msg := "delegated.maxTTL is not a Go duration in the nhigate config, so the TTL of delegated automation cannot be checked: fix the configuration"
}

ttl_within(limit) if lib.duration_ns(input.spec.credential.ttl) <= limit

deny_nhi_del_002 contains lib.result("NHI-DEL-002", ["spec", "expiresAt"], msg) if {
	lib.delegated
	lib.has_config
	limit := limit_ns("maxGrant")
	not expiry_within(limit)
	msg := sprintf("identity.consumer %s is delegated automation, so spec.expiresAt (%s) must be at most delegated.maxGrant %s from now: write %s or earlier", [lib.consumer_name, lib.shown(["spec", "expiresAt"]), lib.fmt_duration(limit), lib.fmt_day_floor(lib.now_ns + limit)])
}

deny_nhi_del_002 contains lib.result("NHI-DEL-002", ["spec", "expiresAt"], msg) if {
	lib.delegated
	lib.has_config
	not limit_ns("maxGrant")
	msg := "delegated.maxGrant is not a Go duration in the nhigate config, so the expiry of delegated automation cannot be checked: fix the configuration"
}

expiry_within(limit) if lib.time_ns(input.spec.expiresAt) - lib.now_ns <= limit

deny_nhi_del_003 contains lib.result("NHI-DEL-003", path, msg) if {
	lib.delegated
	some [path, v] in lib.wildcards
	msg := sprintf("identity.consumer %s is delegated automation, which gets no wildcards: replace %q with the exact %s", [lib.consumer_name, v, path[3]])
}
