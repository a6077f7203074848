# Package nhigate.lib holds what the nhigate policies share: the repo
# configuration, the clock, duration and path helpers, the risk tier of a
# spec, the wildcard and broadness judgements (broad.rego), exception
# waivers and the result object.
#
# Rules elsewhere fail closed: a value that cannot be read or parsed never
# counts as within a limit. data.nhigate.config, data.nhigate.now,
# data.nhigate.catalog, data.nhigate.judged, data.nhigate.loaded and
# data.nhigate.run are data, so no package may be named after them.
package nhigate.lib

# ---------------------------------------------------------------------------
# Configuration and clock

# config is the repo configuration (.nhigate.yaml merged over the defaults in
# policies/data/nhigate.yaml). It is undefined when no data was loaded; then
# NHI-CFG-001 denies and the rules that need limits stay silent.
config := data.nhigate.config

has_config if is_object(data.nhigate.config)

# now_ns is data.nhigate.now (RFC3339) when set, so tests and audits can
# freeze the clock, and the evaluation time otherwise.
now_ns := n if {
	n := time.parse_rfc3339_ns(data.nhigate.now)
} else := n if {
	n := time.now_ns()
}

# ---------------------------------------------------------------------------
# Values

non_empty(s) if {
	is_string(s)
	trim_space(s) != ""
}

# duration_ns parses a positive Go duration string such as "8h" or "90m".
# It is undefined for anything else, including bare numbers and "1d", which
# time.parse_duration_ns would accept but Go's time.ParseDuration, which
# reads .nhigate.yaml, rejects.
duration_ns(s) := n if {
	regex.match(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, s)
	n := time.parse_duration_ns(s)
	n > 0
}

# time_ns parses an RFC3339 time such as "2026-11-26T00:00:00Z". It is
# undefined for anything else: without strict builtin errors, as conftest
# and nhigate evaluate, a parse error makes the expression undefined.
time_ns(s) := time.parse_rfc3339_ns(s)

hour_ns := 3600000000000

minute_ns := 60000000000

# fmt_duration writes nanoseconds back as a Go duration: 8h, 90m, 45s,
# 1500ms.
fmt_duration(ns) := sprintf("%dh", [ns / hour_ns]) if {
	ns % hour_ns == 0
} else := sprintf("%dm", [ns / minute_ns]) if {
	ns % minute_ns == 0
} else := sprintf("%ds", [ns / 1000000000]) if {
	ns % 1000000000 == 0
} else := sprintf("%dms", [ns / 1000000]) if {
	ns % 1000000 == 0
} else := sprintf("%dns", [ns])

fmt_time(ns) := time.format([ns, "UTC", "2006-01-02T15:04:05Z07:00"])

day_ns := 24 * hour_ns

# Times that messages derive from the clock are rounded, so that a report
# reads the same on every run of a day and a pull request comment does not
# churn: a deadline down to the start of its day ("write it or earlier"
# stays true), an example up to the start of the next day, the current time
# down to its hour.
fmt_day_floor(ns) := fmt_time(ns - (ns % day_ns))

fmt_day_ceil(ns) := fmt_time((ns - (ns % day_ns)) + day_ns)

fmt_hour(ns) := fmt_time(ns - (ns % hour_ns))

# norm makes logins and teams comparable: "@Acme/Security" = "acme/security".
norm(s) := lower(trim_left(trim_space(s), "@"))

# ---------------------------------------------------------------------------
# Fields
#
# A result's field is a path into the document, like
# spec.entitlements[0].actions[1], so that Go can map it to file:line:col.
# field(path) points at the value, or at its deepest existing parent when
# the value is missing.

field(path) := fmt_path(path) if {
	present(path)
} else := fmt_path(array.slice(path, 0, deepest(path)))

deepest(path) := max({i | some i in numbers.range(0, count(path)); present(array.slice(path, 0, i))})

present(p) if object.get(doc, p, absent) != absent

absent := {"nhigate": "absent"}

# doc is the input when it is a mapping, and {} otherwise, so that
# object.get(doc, path, default) is always defined.
#
# Write object.get(lib.doc, path, null) rather than a bare input reference
# as the argument of a function or `in` under `not`: OPA evaluates the
# arguments outside the negation, so `not f(input.missing)` is undefined,
# never true, and a deny rule written that way would silently pass.
doc := input if {
	is_object(input)
} else := {}

# shown(p) describes the value at p for a message: its JSON, or "missing".
shown(p) := json.marshal(v) if {
	v := object.get(doc, p, absent)
	v != absent
} else := "missing"

fmt_path(p) := concat("", [seg | some i, k in p; seg := fmt_segment(i, k)])

fmt_segment(_, k) := sprintf("[%d]", [k]) if is_number(k)

fmt_segment(i, k) := k if {
	is_string(k)
	i == 0
}

fmt_segment(i, k) := sprintf(".%s", [k]) if {
	is_string(k)
	i > 0
}

# ---------------------------------------------------------------------------
# Environment, consumer and platform

env_configured if {
	is_string(input.spec.environment)
	is_object(config.environments[input.spec.environment])
}

# production holds for the environment named "production" and, failing
# closed, for a missing or unknown environment (NHI-ENV-001 denies those).
production if input.spec.environment == "production"

# ...and an environment the config marks production by another name.
production if config.environments[input.spec.environment].production == true

production if not env_configured

# env_limit_ns(key) is the environment's maxTTL or maxGrant. For a missing
# or unknown environment it is the strictest configured value. It is
# undefined when the configured value is not a duration.
env_limit_ns(key) := n if {
	env_configured
	n := data.nhigate.run.env_limits.environments[input.spec.environment][key]
} else := n if {
	not env_configured
	n := data.nhigate.run.env_limits.strictest[key]
} else := n if {
	env_configured
	n := duration_ns(config.environments[input.spec.environment][key])
} else := n if {
	not env_configured
	n := strictest_ns(key)
}

strictest_ns(key) := min(limits) if {
	is_object(config.environments)
	limits := [d | some e in config.environments; d := duration_ns(e[key])]
	count(limits) == count(config.environments)
	count(limits) > 0
}

# run_env_limits holds, for maxTTL and maxGrant, each configured
# environment's value and the strictest one, as nanoseconds; a value that
# is not a duration is left out. It depends on the configuration alone, so
# the nhigate engine evaluates it once and passes it as
# data.nhigate.run.env_limits, which env_limit_ns reads first; conftest
# passes nothing, and env_limit_ns computes the one value it needs.
run_env_limits := {
	"environments": {name: {key: n |
		some key in ["maxTTL", "maxGrant"]
		n := duration_ns(e[key])
	} |
		is_object(config.environments)
		some name, e in config.environments
	},
	"strictest": {key: n |
		some key in ["maxTTL", "maxGrant"]
		n := strictest_ns(key)
	},
}

env_name := input.spec.environment if {
	env_configured
} else := "an unknown environment (strictest limits apply)"

# delegated automation: an agent or a scheduled job acts without a human in
# the loop. A missing or unknown consumer counts as delegated (fail closed).
delegated if not object.get(doc, ["spec", "identity", "consumer"], null) in {"human", "pipeline"}

consumer_name := input.spec.identity.consumer if {
	is_string(input.spec.identity.consumer)
} else := "(missing)"

high_risk_platform if not low_risk_platform

low_risk_platform if {
	is_array(config.highRiskPlatforms)
	is_string(input.spec.identity.platform)
	not input.spec.identity.platform in config.highRiskPlatforms
}

# ---------------------------------------------------------------------------
# Wildcards
#
# A pattern is a wildcard when it contains * or ? (see wildcards). Its
# literal prefix is the text before the first * or ?. Whether a pattern is
# broad is judged by what it covers, in broad.rego.

literal_prefix(s) := regex.replace(s, `(?s)[*?].*$`, "")

# wildcards lists every action and resource that contains * or ?, as
# [path, pattern]. contains() is undefined for a non-string, which
# NHI-ENT-003 reports.
wildcards contains [["spec", "entitlements", i, key, j], v] if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	some j, v in e[key]
	contains(v, "*")
}

wildcards contains [["spec", "entitlements", i, key, j], v] if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	some j, v in e[key]
	contains(v, "?")
}

has_wildcard if count(wildcards) > 0

# ---------------------------------------------------------------------------
# Risk tier
#
#   critical: production (or an unknown environment) with a credential that
#             is not ephemeral, or with any wildcard action or resource;
#   high:     other production grants, or a platform in highRiskPlatforms
#             (and a missing platform) in any environment;
#   medium:   staging;
#   low:      everything else.

tier := "critical" if {
	production
	critical_grant
} else := "high" if {
	production
} else := "high" if {
	high_risk_platform
} else := "medium" if {
	input.spec.environment == "staging"
} else := "low"

tier_reason := "a production grant with a non-ephemeral credential or a wildcard" if {
	tier == "critical"
} else := "a production grant" if {
	production
} else := "a grant on a high-risk platform" if {
	tier == "high"
} else := "a staging grant" if {
	tier == "medium"
} else := "a grant outside production and staging"

critical_grant if not input.spec.credential.kind == "ephemeral"

critical_grant if has_wildcard

tier_config := config.riskTiers[tier]

owner_may_approve if tier_config.ownerMayApprove == true

# approvers is the normalized set of spec.approvals.required.
approvers contains norm(a) if {
	some a in input.spec.approvals.required
	non_empty(a)
}

# ---------------------------------------------------------------------------
# Exceptions
#
# An entry of spec.exceptions waives one rule for this document when it is
# valid: the rule is a known, waivable id, the reason and approver are set,
# the approver is not the requester, and expiresAt is in the future and at
# most maxExceptionDays away. The waiver uses conftest's own exception
# mechanism: each policy package declares
#
#   exception contains [name] if some name in lib.waived
#
# and conftest skips rule deny_<name> (or warn_<name>) and reports it as an
# exception. NHI-EXC-* report the entries that are not valid.

rule_name(id) := lower(replace(id, "-", "_"))

waived contains rule_name(e.rule) if {
	some e in input.spec.exceptions
	valid_exception(e)
}

valid_exception(e) if {
	is_object(e)
	known_rule(e.rule)
	non_empty(e.reason)
	approver_ok(e)
	exception_expiry_ok(e)
	time_ns(e.expiresAt) > now_ns
}

known_rule(id) if {
	is_string(id)
	catalog[id].waivable == true
}

approver_ok(e) if {
	non_empty(e.approvedBy)
	non_empty(input.metadata.requester)
	norm(e.approvedBy) != norm(input.metadata.requester)
}

exception_expiry_ok(e) if {
	max_days := config.maxExceptionDays
	is_number(max_days)
	time_ns(e.expiresAt) - now_ns <= (max_days * 24) * hour_ns
}

# ---------------------------------------------------------------------------
# Results

# result builds the object every deny and warn rule emits, with the field
# at path (see field). The message starts with the rule id so that plain
# conftest output names the rule.
result(id, path, msg) := result_at(id, field(path), msg)

# result_at is result with a field that is already formatted.
result_at(id, f, msg) := {
	"msg": sprintf("%s %s", [id, msg]),
	"rule": id,
	"severity": catalog[id].severity,
	"field": f,
	"fix": catalog[id].fix,
	"controls": catalog[id].controls,
}
