# Package nhigate.expiry makes every grant just-in-time: it must end, in the
# future, and no later than the environment's maxGrant from now.
package nhigate.expiry

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

expires_ns := lib.time_ns(input.spec.expiresAt)

example := lib.fmt_day_ceil(lib.now_ns + (24 * lib.hour_ns))

deny_nhi_exp_001 contains lib.result("NHI-EXP-001", ["spec", "expiresAt"], msg) if {
	not expires_ns
	msg := sprintf("spec.expiresAt is %s: write an RFC3339 time such as %s", [lib.shown(["spec", "expiresAt"]), example])
}

deny_nhi_exp_002 contains lib.result("NHI-EXP-002", ["spec", "expiresAt"], msg) if {
	expires_ns <= lib.now_ns
	msg := sprintf("spec.expiresAt %s has passed (it is now past %s): set a future time such as %s, or delete the spec to revoke the grant", [input.spec.expiresAt, lib.fmt_hour(lib.now_ns), example])
}

deny_nhi_exp_003 contains lib.result("NHI-EXP-003", ["spec", "expiresAt"], msg) if {
	lib.has_config
	expires_ns > lib.now_ns
	limit := lib.env_limit_ns("maxGrant")
	expires_ns - lib.now_ns > limit
	msg := sprintf("spec.expiresAt %s is more than the maxGrant of %s (%s) from now: write %s or earlier, and renew with a new pull request", [input.spec.expiresAt, lib.env_name, lib.fmt_duration(limit), lib.fmt_day_floor(lib.now_ns + limit)])
}

deny_nhi_exp_003 contains lib.result("NHI-EXP-003", ["spec", "expiresAt"], msg) if {
	lib.has_config
	expires_ns > lib.now_ns
	not lib.env_limit_ns("maxGrant")
	msg := sprintf("the maxGrant of %s is not a Go duration in the nhigate config, so spec.expiresAt cannot be checked: fix the configuration", [lib.env_name])
}
