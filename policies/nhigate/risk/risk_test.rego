package nhigate_test.risk

import data.nhigate_test.fixtures as t

security_config := json.patch(t.config, [
	{"op": "replace", "path": "/riskTiers/critical/approvers", "value": ["@acme/security", "@acme/platform"]},
	{"op": "replace", "path": "/riskTiers/high/approvers", "value": ["@acme/security"]},
])

test_nhi_risk_001_pass if {
	count(t.results_with("risk", "deny_nhi_risk_001", t.set("/spec/approvals/required", ["@ACME/Security", "acme/platform"]), security_config)) == 0
}

test_nhi_risk_001_pass_defaults_name_no_team if {
	count(t.results("risk", "deny_nhi_risk_001", t.set("/spec/approvals/required", []))) == 0
}

test_nhi_risk_001_fail if {
	r := t.only(t.results_with("risk", "deny_nhi_risk_001", t.spec, security_config))
	r.msg == `NHI-RISK-001 risk tier critical (a production grant with a non-ephemeral credential or a wildcard) requires approver @acme/platform: add "@acme/platform" to spec.approvals.required`
	r.field == "spec.approvals.required"
}

test_nhi_risk_001_fail_high_risk_platform if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "development"},
		{"op": "replace", "path": "/spec/identity/platform", "value": "vault"},
		{"op": "replace", "path": "/spec/approvals/required", "value": ["bob"]},
	])
	r := t.only(t.results_with("risk", "deny_nhi_risk_001", doc, security_config))
	startswith(r.msg, "NHI-RISK-001 risk tier high (a grant on a high-risk platform) requires approver @acme/security")
}

test_nhi_risk_002_pass if {
	count(t.results("risk", "deny_nhi_risk_002", t.spec)) == 0
}

test_nhi_risk_002_pass_low_tier if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "development"},
		{"op": "replace", "path": "/spec/approvals/minApprovals", "value": 1},
	])
	count(t.results("risk", "deny_nhi_risk_002", doc)) == 0
}

test_nhi_risk_002_fail if {
	r := t.only(t.results("risk", "deny_nhi_risk_002", t.set("/spec/approvals/minApprovals", 1)))
	r.msg == "NHI-RISK-002 risk tier critical (a production grant with a non-ephemeral credential or a wildcard) needs at least 2 approvals, and spec.approvals.minApprovals is 1: write minApprovals: 2"
	r.field == "spec.approvals.minApprovals"
}

test_nhi_risk_002_fail_missing if {
	r := t.only(t.results("risk", "deny_nhi_risk_002", t.remove("/spec/approvals")))
	r.field == "spec"
}

test_nhi_risk_002_fail_medium_tier_missing_count if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "staging"},
		{"op": "remove", "path": "/spec/approvals/minApprovals"},
	])
	r := t.only(t.results("risk", "deny_nhi_risk_002", doc))
	startswith(r.msg, "NHI-RISK-002 risk tier medium (a staging grant) needs at least 1 approvals")
}
