package nhigate_test.delegation

import data.nhigate_test.fixtures as t

agent := t.set("/spec/identity/consumer", "agent")

test_nhi_del_001_pass if {
	count(t.results("delegation", "deny_nhi_del_001", agent)) == 0
}

test_nhi_del_001_pass_pipeline if {
	count(t.results("delegation", "deny_nhi_del_001", t.set("/spec/credential/ttl", "8h"))) == 0
}

test_nhi_del_001_fail if {
	doc := json.patch(agent, [{"op": "replace", "path": "/spec/credential/ttl", "value": "2h"}])
	r := t.only(t.results("delegation", "deny_nhi_del_001", doc))
	r.msg == `NHI-DEL-001 identity.consumer agent is delegated automation, so credential.ttl ("2h") must be at most delegated.maxTTL 1h: write ttl: 1h or less`
	r.field == "spec.credential.ttl"
}

test_nhi_del_001_fail_missing_consumer_counts_as_delegated if {
	doc := t.patch([
		{"op": "remove", "path": "/spec/identity/consumer"},
		{"op": "replace", "path": "/spec/credential/ttl", "value": "2h"},
	])
	r := t.only(t.results("delegation", "deny_nhi_del_001", doc))
	contains(r.msg, "identity.consumer (missing) is delegated automation")
}

test_nhi_del_002_pass if {
	count(t.results("delegation", "deny_nhi_del_002", agent)) == 0
}

test_nhi_del_002_fail if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/identity/consumer", "value": "scheduled-job"},
		{"op": "replace", "path": "/spec/environment", "value": "staging"},
		{"op": "replace", "path": "/spec/expiresAt", "value": "2026-12-02T12:00:01Z"},
	])
	r := t.only(t.results("delegation", "deny_nhi_del_002", doc))
	r.msg == `NHI-DEL-002 identity.consumer scheduled-job is delegated automation, so spec.expiresAt ("2026-12-02T12:00:01Z") must be at most delegated.maxGrant 168h from now: write 2026-12-02T00:00:00Z or earlier`
}

test_nhi_del_002_fail_missing_expiry if {
	doc := json.patch(agent, [{"op": "remove", "path": "/spec/expiresAt"}])
	count(t.results("delegation", "deny_nhi_del_002", doc)) == 1
}

test_nhi_del_003_pass if {
	doc := json.patch(agent, [{"op": "replace", "path": "/spec/entitlements/0/resources/0", "value": "arn:aws:s3:::payments-artifacts/release.tgz"}])
	count(t.results("delegation", "deny_nhi_del_003", doc)) == 0
}

test_nhi_del_003_pass_pipeline_may_use_narrow_wildcards if {
	count(t.results("delegation", "deny_nhi_del_003", t.spec)) == 0
}

test_nhi_del_003_fail if {
	doc := json.patch(agent, [{"op": "replace", "path": "/spec/environment", "value": "development"}])
	r := t.only(t.results("delegation", "deny_nhi_del_003", doc))
	r.msg == `NHI-DEL-003 identity.consumer agent is delegated automation, which gets no wildcards: replace "arn:aws:s3:::payments-artifacts/*" with the exact resources`
	r.field == "spec.entitlements[0].resources[0]"
}
