package nhigate_test.sod

import data.nhigate_test.fixtures as t

test_nhi_sod_001_pass if {
	count(t.results("sod", "deny_nhi_sod_001", t.spec)) == 0
}

test_nhi_sod_001_fail if {
	doc := t.set("/spec/approvals/required", ["@acme/security", "@Alice"])
	r := t.only(t.results("sod", "deny_nhi_sod_001", doc))
	r.msg == "NHI-SOD-001 the requester alice is listed in spec.approvals.required: a requester never approves their own request; name an independent approver instead"
	r.field == "spec.approvals.required[1]"
}

test_nhi_sod_002_pass if {
	count(t.results("sod", "deny_nhi_sod_002", t.spec)) == 0
}

test_nhi_sod_002_pass_owner_may_approve_in_low_tier if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "development"},
		{"op": "replace", "path": "/spec/approvals/required", "value": ["@acme/payments"]},
	])
	count(t.results("sod", "deny_nhi_sod_002", doc)) == 0
}

test_nhi_sod_002_fail_owner_only if {
	doc := t.set("/spec/approvals/required", ["@ACME/payments"])
	r := t.only(t.results("sod", "deny_nhi_sod_002", doc))
	r.msg == `NHI-SOD-002 risk tier critical (a production grant with a non-ephemeral credential or a wildcard) does not let the owner ("@acme/payments") approve its own grant, and spec.approvals.required names no one else: add an independent approver such as "@acme/security"`
	r.field == "spec.approvals.required"
}

test_nhi_sod_002_fail_nobody if {
	doc := t.remove("/spec/approvals/required")
	r := t.only(t.results("sod", "deny_nhi_sod_002", doc))
	r.field == "spec.approvals"
}

test_nhi_sod_002_fail_tier_without_setting if {
	cfg := json.patch(t.config, [{"op": "remove", "path": "/riskTiers/low/ownerMayApprove"}])
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "development"},
		{"op": "replace", "path": "/spec/approvals/required", "value": ["@acme/payments"]},
	])
	count(t.results_with("sod", "deny_nhi_sod_002", doc, cfg)) == 1
}
