# Package nhigate.configuration checks that the nhigate configuration reached the
# policies (data.nhigate.config) and is well-formed, and that the catalog of
# sensitive actions and resource types (data.nhigate.catalog) is loaded.
# Without them no limit can be checked and no pattern judged broad, so a
# missing or broken configuration or catalog denies (fail closed).
package nhigate.configuration

import data.nhigate.lib

deny_nhi_cfg_001 contains lib.result_at("NHI-CFG-001", "", "nhigate data not loaded: run conftest with -d policies/data") if {
	not lib.has_config
}

deny_nhi_cfg_001 contains lib.result_at("NHI-CFG-001", "", "nhigate catalog not loaded (data.nhigate.catalog, which judges broad patterns): run conftest with -d policies/data") if {
	lib.has_config
	not lib.has_catalog
}

deny_nhi_cfg_001 contains lib.result_at("NHI-CFG-001", "", sprintf("nhigate config: %s", [problem])) if {
	lib.has_config
	not valid
	some problem in problems
}

deny_nhi_cfg_001 contains lib.result_at("NHI-CFG-001", "", msg) if {
	_ = data.nhigate.now
	not lib.time_ns(data.nhigate.now)
	msg := sprintf("data.nhigate.now is %s: write an RFC3339 time such as 2026-11-25T12:00:00Z, or leave it out to use the clock", [json.marshal(data.nhigate.now)])
}

c := data.nhigate.config

tiers := ["critical", "high", "medium", "low"]

# valid is the cheap check run for every document, using builtins only (a
# Rego function call costs more); problems, which explain what is wrong,
# are only worked out when it fails. TestRego keeps the two in agreement.
valid if {
	has_environments
	every e in c.environments {
		regex.match(duration_re, e.maxTTL)
		regex.match(`[1-9]`, e.maxTTL)
		regex.match(duration_re, e.maxGrant)
		regex.match(`[1-9]`, e.maxGrant)
	}
	regex.match(duration_re, c.delegated.maxTTL)
	regex.match(`[1-9]`, c.delegated.maxTTL)
	regex.match(duration_re, c.delegated.maxGrant)
	regex.match(`[1-9]`, c.delegated.maxGrant)
	every tier in tiers {
		is_array(c.riskTiers[tier].approvers)
		every a in c.riskTiers[tier].approvers {
			is_string(a)
			trim_space(a) != ""
		}
		is_number(c.riskTiers[tier].minApprovals)
		c.riskTiers[tier].minApprovals >= 0
		floor(c.riskTiers[tier].minApprovals) == c.riskTiers[tier].minApprovals
		is_boolean(c.riskTiers[tier].ownerMayApprove)
	}
	is_array(c.highRiskPlatforms)
	every p in c.highRiskPlatforms {
		is_string(p)
		trim_space(p) != ""
	}
	is_number(c.maxExceptionDays)
	c.maxExceptionDays >= 1
	floor(c.maxExceptionDays) == c.maxExceptionDays
}

# duration_re and a non-zero digit make a positive Go duration; see
# lib.duration_ns.
duration_re := `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`

get(o, k) := v if {
	is_object(o)
	v := o[k]
} else := null

problems contains "environments must map environment names to limits, e.g. production: {maxTTL: 8h, maxGrant: 720h}" if {
	not has_environments
}

has_environments if {
	is_object(c.environments)
	count(c.environments) > 0
}

problems contains sprintf("environments.%s.%s is %s: write a Go duration such as 8h", [name, key, json.marshal(v)]) if {
	is_object(c.environments)
	some name, e in c.environments
	some key in ["maxTTL", "maxGrant"]
	v := get(e, key)
	not lib.duration_ns(v)
}

problems contains sprintf("delegated.%s is %s: write a Go duration such as 1h", [key, json.marshal(v)]) if {
	some key in ["maxTTL", "maxGrant"]
	v := get(get(c, "delegated"), key)
	not lib.duration_ns(v)
}

problems contains sprintf("riskTiers.%s must be a mapping with approvers, minApprovals and ownerMayApprove", [tier]) if {
	some tier in tiers
	not is_object(get(get(c, "riskTiers"), tier))
}

problems contains sprintf("riskTiers.%s.approvers is %s: write a list of teams or logins, e.g. [\"@acme/security\"], or []", [tier, json.marshal(v)]) if {
	some tier in tiers
	t := get(get(c, "riskTiers"), tier)
	is_object(t)
	v := get(t, "approvers")
	not string_list(v)
}

problems contains sprintf("riskTiers.%s.minApprovals is %s: write a whole number such as 2", [tier, json.marshal(v)]) if {
	some tier in tiers
	t := get(get(c, "riskTiers"), tier)
	is_object(t)
	v := get(t, "minApprovals")
	not count_value(v)
}

problems contains sprintf("riskTiers.%s.ownerMayApprove is %s: write true or false", [tier, json.marshal(v)]) if {
	some tier in tiers
	t := get(get(c, "riskTiers"), tier)
	is_object(t)
	v := get(t, "ownerMayApprove")
	not is_boolean(v)
}

problems contains sprintf("highRiskPlatforms is %s: write a list of platforms, e.g. [vault, github, generic]", [json.marshal(v)]) if {
	v := get(c, "highRiskPlatforms")
	not string_list(v)
}

problems contains sprintf("maxExceptionDays is %s: write a positive whole number such as 90", [json.marshal(v)]) if {
	v := get(c, "maxExceptionDays")
	not count_value(v)
}

problems contains "maxExceptionDays must be at least 1, e.g. 90" if {
	get(c, "maxExceptionDays") == 0
}

string_list(v) if {
	is_array(v)
	every x in v {
		lib.non_empty(x)
	}
}

count_value(v) if {
	is_number(v)
	v >= 0
	floor(v) == v
}
