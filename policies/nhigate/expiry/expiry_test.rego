package nhigate_test.expiry

import data.nhigate_test.fixtures as t

test_nhi_exp_001_pass if {
	count(t.results("expiry", "deny_nhi_exp_001", t.spec)) == 0
}

test_nhi_exp_001_fail_missing if {
	r := t.only(t.results("expiry", "deny_nhi_exp_001", t.remove("/spec/expiresAt")))
	r.msg == "NHI-EXP-001 spec.expiresAt is missing: write an RFC3339 time such as 2026-11-27T00:00:00Z"
	r.field == "spec"
}

test_nhi_exp_001_fail_not_rfc3339 if {
	r := t.only(t.results("expiry", "deny_nhi_exp_001", t.set("/spec/expiresAt", "tomorrow")))
	r.field == "spec.expiresAt"
}

test_nhi_exp_002_pass if {
	count(t.results("expiry", "deny_nhi_exp_002", t.spec)) == 0
}

test_nhi_exp_002_fail if {
	r := t.only(t.results("expiry", "deny_nhi_exp_002", t.set("/spec/expiresAt", "2026-11-25T11:59:59Z")))
	r.msg == "NHI-EXP-002 spec.expiresAt 2026-11-25T11:59:59Z has passed (it is now past 2026-11-25T12:00:00Z): set a future time such as 2026-11-27T00:00:00Z, or delete the spec to revoke the grant"
	r.field == "spec.expiresAt"
}

test_nhi_exp_003_pass_at_limit if {
	count(t.results("expiry", "deny_nhi_exp_003", t.set("/spec/expiresAt", "2026-12-25T12:00:00Z"))) == 0
}

test_nhi_exp_003_fail if {
	r := t.only(t.results("expiry", "deny_nhi_exp_003", t.set("/spec/expiresAt", "2026-12-25T12:00:01Z")))
	r.msg == "NHI-EXP-003 spec.expiresAt 2026-12-25T12:00:01Z is more than the maxGrant of production (720h) from now: write 2026-12-25T00:00:00Z or earlier, and renew with a new pull request"
}

test_nhi_exp_003_pass_staging if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "staging"},
		{"op": "replace", "path": "/spec/expiresAt", "value": "2027-02-01T00:00:00Z"},
	])
	count(t.results("expiry", "deny_nhi_exp_003", doc)) == 0
}

test_nhi_exp_003_fail_unknown_environment_uses_strictest if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "qa"},
		{"op": "replace", "path": "/spec/expiresAt", "value": "2027-02-01T00:00:00Z"},
	])
	r := t.only(t.results("expiry", "deny_nhi_exp_003", doc))
	contains(r.msg, "(720h)")
}

test_nhi_exp_003_fail_bad_limit if {
	cfg := json.patch(t.config, [{"op": "replace", "path": "/environments/production/maxGrant", "value": "30d"}])
	r := t.only(t.results_with("expiry", "deny_nhi_exp_003", t.spec, cfg))
	startswith(r.msg, "NHI-EXP-003 the maxGrant of production is not a Go duration")
}

# A message derived from the clock reads the same all day, so a pull request
# comment does not change on every run.
test_nhi_exp_003_message_stable_within_a_day if {
	doc := t.set("/spec/expiresAt", "2027-06-01T00:00:00Z")
	morning := t.only(t.results("expiry", "deny_nhi_exp_003", doc)) with data.nhigate.now as "2026-11-25T00:00:01Z"
	evening := t.only(t.results("expiry", "deny_nhi_exp_003", doc)) with data.nhigate.now as "2026-11-25T23:59:59Z"
	morning.msg == evening.msg
	contains(morning.msg, "write 2026-12-25T00:00:00Z or earlier")
}
