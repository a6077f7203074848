package nhigate_test.credential

import data.nhigate_test.fixtures as t

static := t.set("/spec/credential", {"kind": "static", "ttl": "1h", "rotation": "24h"})

test_nhi_cred_001_pass if {
	count(t.results("credential", "deny_nhi_cred_001", t.spec)) == 0
}

test_nhi_cred_001_pass_staging if {
	doc := json.patch(static, [{"op": "replace", "path": "/spec/environment", "value": "staging"}])
	count(t.results("credential", "deny_nhi_cred_001", doc)) == 0
}

test_nhi_cred_001_fail if {
	r := t.only(t.results("credential", "deny_nhi_cred_001", static))
	r.msg == "NHI-CRED-001 static credentials are not allowed in production: use credential.kind: ephemeral, or add an approved spec exception for NHI-CRED-001"
	r.field == "spec.credential.kind"
	r.severity == "critical"
}

test_nhi_cred_001_fail_unknown_environment if {
	doc := json.patch(static, [{"op": "replace", "path": "/spec/environment", "value": "qa"}])
	count(t.results("credential", "deny_nhi_cred_001", doc)) == 1
}

test_nhi_cred_002_pass if {
	count(t.results("credential", "deny_nhi_cred_002", static)) == 0
}

test_nhi_cred_002_fail if {
	doc := json.patch(static, [{"op": "remove", "path": "/spec/credential/rotation"}])
	r := t.only(t.results("credential", "deny_nhi_cred_002", doc))
	r.msg == "NHI-CRED-002 credential.rotation is missing: a static credential needs a rotation period, e.g. rotation: 24h"
	r.field == "spec.credential"
}

test_nhi_cred_003_pass_workload_identity if {
	count(t.results("credential", "warn_nhi_cred_003", t.spec)) == 0
}

test_nhi_cred_003_pass_ephemeral_token if {
	count(t.results("credential", "warn_nhi_cred_003", t.set("/spec/identity/type", "token"))) == 0
}

test_nhi_cred_003_fail if {
	doc := json.patch(static, [{"op": "replace", "path": "/spec/identity/type", "value": "api-key"}])
	r := t.only(t.results("credential", "warn_nhi_cred_003", doc))
	r.msg == `NHI-CRED-003 identity.type "api-key" with credential.kind "static": prefer identity.type: workload-identity or credential.kind: ephemeral`
	r.severity == "low"
}

test_nhi_cred_004_pass if {
	count(t.results("credential", "deny_nhi_cred_004", t.spec)) == 0
}

test_nhi_cred_004_fail if {
	r := t.only(t.results("credential", "deny_nhi_cred_004", t.set("/spec/credential/kind", "Static")))
	r.msg == `NHI-CRED-004 credential.kind is "Static": write ephemeral or static`
}

test_nhi_cred_004_fail_missing if {
	r := t.only(t.results("credential", "deny_nhi_cred_004", t.remove("/spec/credential")))
	r.field == "spec"
}

test_nhi_cred_005_pass_at_limit if {
	count(t.results("credential", "deny_nhi_cred_005", t.set("/spec/credential/ttl", "8h"))) == 0
}

test_nhi_cred_005_fail_over_limit if {
	r := t.only(t.results("credential", "deny_nhi_cred_005", t.set("/spec/credential/ttl", "8h1s")))
	r.msg == "NHI-CRED-005 credential.ttl 8h1s exceeds the maxTTL of production (8h): write ttl: 8h or less"
	r.field == "spec.credential.ttl"
}

test_nhi_cred_005_pass_staging if {
	doc := t.patch([
		{"op": "replace", "path": "/spec/environment", "value": "staging"},
		{"op": "replace", "path": "/spec/credential/ttl", "value": "24h"},
	])
	count(t.results("credential", "deny_nhi_cred_005", doc)) == 0
}

test_nhi_cred_005_fail_not_a_duration if {
	r := t.only(t.results("credential", "deny_nhi_cred_005", t.set("/spec/credential/ttl", "1d")))
	r.msg == `NHI-CRED-005 credential.ttl is "1d": write a Go duration such as ttl: 1h`
}

test_nhi_cred_005_fail_missing if {
	r := t.only(t.results("credential", "deny_nhi_cred_005", t.remove("/spec/credential/ttl")))
	r.field == "spec.credential"
}

test_nhi_cred_005_fail_zero if {
	count(t.results("credential", "deny_nhi_cred_005", t.set("/spec/credential/ttl", "0s"))) == 1
}

test_exception_waives_nhi_cred_001 if {
	doc := json.patch(static, [{"op": "add", "path": "/spec/exceptions", "value": [{
		"rule": "NHI-CRED-001",
		"reason": "vendor API only supports static keys",
		"approvedBy": "@acme/security",
		"expiresAt": "2026-12-31T00:00:00Z",
		"ticket": "SEC-1234",
	}]}])
	t.waived("credential", doc) == {"nhi_cred_001"}
}

test_exception_expired_does_not_waive if {
	doc := json.patch(static, [{"op": "add", "path": "/spec/exceptions", "value": [{
		"rule": "NHI-CRED-001",
		"reason": "vendor API only supports static keys",
		"approvedBy": "@acme/security",
		"expiresAt": "2026-11-25T12:00:00Z",
	}]}])
	count(t.waived("credential", doc)) == 0
}
