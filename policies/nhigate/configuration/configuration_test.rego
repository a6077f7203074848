package nhigate_test.configuration

import data.nhigate_test.fixtures as t

test_nhi_cfg_001_pass if {
	count(t.results("configuration", "deny_nhi_cfg_001", t.spec)) == 0
}

test_nhi_cfg_001_fail_no_data if {
	rs := data.nhigate.configuration.deny_nhi_cfg_001 with input as t.spec with data.nhigate.config as null
	r := t.only(rs)
	r.msg == "NHI-CFG-001 nhigate data not loaded: run conftest with -d policies/data"
	r.rule == "NHI-CFG-001"
	r.severity == "critical"
	r.field == ""
}

test_nhi_cfg_001_fail_no_catalog if {
	rs := data.nhigate.configuration.deny_nhi_cfg_001 with input as t.spec
		with data.nhigate.config as t.config
		with data.nhigate.catalog as null
	r := t.only(rs)
	r.msg == "NHI-CFG-001 nhigate catalog not loaded (data.nhigate.catalog, which judges broad patterns): run conftest with -d policies/data"
}

test_nhi_cfg_001_fail_bad_duration if {
	cfg := json.patch(t.config, [{"op": "replace", "path": "/environments/production/maxTTL", "value": "8d"}])
	r := t.only(t.results_with("configuration", "deny_nhi_cfg_001", t.spec, cfg))
	r.msg == `NHI-CFG-001 nhigate config: environments.production.maxTTL is "8d": write a Go duration such as 8h`
}

test_nhi_cfg_001_fail_each_problem if {
	cfg := json.patch(t.config, [
		{"op": "remove", "path": "/delegated/maxGrant"},
		{"op": "remove", "path": "/riskTiers/low"},
		{"op": "replace", "path": "/riskTiers/high/approvers", "value": "@acme/security"},
		{"op": "replace", "path": "/riskTiers/high/minApprovals", "value": 1.5},
		{"op": "replace", "path": "/riskTiers/high/ownerMayApprove", "value": "no"},
		{"op": "replace", "path": "/highRiskPlatforms", "value": "vault"},
		{"op": "replace", "path": "/maxExceptionDays", "value": 0},
	])
	msgs := {r.msg | some r in t.results_with("configuration", "deny_nhi_cfg_001", t.spec, cfg)}
	msgs == {
		"NHI-CFG-001 nhigate config: delegated.maxGrant is null: write a Go duration such as 1h",
		"NHI-CFG-001 nhigate config: riskTiers.low must be a mapping with approvers, minApprovals and ownerMayApprove",
		`NHI-CFG-001 nhigate config: riskTiers.high.approvers is "@acme/security": write a list of teams or logins, e.g. ["@acme/security"], or []`,
		"NHI-CFG-001 nhigate config: riskTiers.high.minApprovals is 1.5: write a whole number such as 2",
		`NHI-CFG-001 nhigate config: riskTiers.high.ownerMayApprove is "no": write true or false`,
		`NHI-CFG-001 nhigate config: highRiskPlatforms is "vault": write a list of platforms, e.g. [vault, github, generic]`,
		"NHI-CFG-001 nhigate config: maxExceptionDays must be at least 1, e.g. 90",
	}
}

test_nhi_cfg_001_fail_no_environments if {
	cfg := json.patch(t.config, [{"op": "replace", "path": "/environments", "value": {}}])
	r := t.only(t.results_with("configuration", "deny_nhi_cfg_001", t.spec, cfg))
	startswith(r.msg, "NHI-CFG-001 nhigate config: environments must map")
}

test_nhi_cfg_001_fail_bad_now if {
	rs := data.nhigate.configuration.deny_nhi_cfg_001 with input as t.spec
		with data.nhigate.config as t.config
		with data.nhigate.catalog as t.catalog
		with data.nhigate.now as "yesterday"
	r := t.only(rs)
	startswith(r.msg, `NHI-CFG-001 data.nhigate.now is "yesterday": write an RFC3339 time`)
}

broken_configs := [
	json.patch(t.config, [{"op": "replace", "path": "/environments", "value": {}}]),
	json.patch(t.config, [{"op": "replace", "path": "/environments", "value": ["production"]}]),
	json.patch(t.config, [{"op": "replace", "path": "/environments/staging/maxGrant", "value": "0h"}]),
	json.patch(t.config, [{"op": "remove", "path": "/environments/staging/maxTTL"}]),
	json.patch(t.config, [{"op": "replace", "path": "/delegated", "value": "1h"}]),
	json.patch(t.config, [{"op": "replace", "path": "/riskTiers/medium/approvers", "value": [""]}]),
	json.patch(t.config, [{"op": "replace", "path": "/riskTiers/low/minApprovals", "value": -1}]),
	json.patch(t.config, [{"op": "remove", "path": "/riskTiers/critical/ownerMayApprove"}]),
	json.patch(t.config, [{"op": "replace", "path": "/highRiskPlatforms", "value": [1]}]),
	json.patch(t.config, [{"op": "replace", "path": "/maxExceptionDays", "value": 0.5}]),
	json.patch(t.config, [{"op": "remove", "path": "/maxExceptionDays"}]),
]

# valid is the fast path of problems: they must agree.
test_valid_agrees_with_problems if {
	data.nhigate.configuration.valid with data.nhigate.config as t.config
	count(data.nhigate.configuration.problems) == 0 with data.nhigate.config as t.config
	every cfg in broken_configs {
		not data.nhigate.configuration.valid with data.nhigate.config as cfg
		count(data.nhigate.configuration.problems) > 0 with data.nhigate.config as cfg
	}
}
