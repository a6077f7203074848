package nhigate_test.exceptions

import data.nhigate_test.fixtures as t

valid := {
	"rule": "NHI-CRED-001",
	"reason": "vendor API only supports static keys",
	"approvedBy": "@acme/security",
	"expiresAt": "2026-12-31T00:00:00Z",
	"ticket": "SEC-1234",
}

with_exception(e) := t.set("/spec/exceptions", [e])

with_field(k, v) := with_exception(json.patch(valid, [{"op": "add", "path": concat("", ["/", k]), "value": v}]))

without_field(k) := with_exception(json.remove(valid, [k]))

findings(doc) := {[r.rule, r.field] | some rule in ["deny_nhi_exc_001", "deny_nhi_exc_002", "deny_nhi_exc_003", "deny_nhi_exc_004", "deny_nhi_exc_005"]; some r in t.results("exceptions", rule, doc)}

test_valid_exception_waives_in_every_package if {
	doc := with_exception(valid)
	count(findings(doc)) == 0
	every ns in ["ownership", "provenance", "expiry", "credential", "revocation", "entitlements", "delegation", "identity", "sod", "risk", "secrets"] {
		t.waived(ns, doc) == {"nhi_cred_001"}
	}
}

test_nhi_exc_001_pass if {
	count(t.results("exceptions", "deny_nhi_exc_001", with_exception(valid))) == 0
}

test_nhi_exc_001_fail if {
	doc := with_field("reason", " ")
	r := t.only(t.results("exceptions", "deny_nhi_exc_001", doc))
	r.msg == `NHI-EXC-001 the exception for NHI-CRED-001 has reason " ": say why the rule cannot be met, e.g. reason: "vendor API only supports static keys"`
	r.field == "spec.exceptions[0].reason"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_002_pass if {
	count(t.results("exceptions", "deny_nhi_exc_002", with_exception(valid))) == 0
}

test_nhi_exc_002_fail_requester if {
	doc := with_field("approvedBy", "@Alice")
	r := t.only(t.results("exceptions", "deny_nhi_exc_002", doc))
	r.msg == "NHI-EXC-002 the exception for NHI-CRED-001 is approved by the requester alice: a requester never approves their own exception; name an independent approver"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_002_fail_missing if {
	doc := without_field("approvedBy")
	r := t.only(t.results("exceptions", "deny_nhi_exc_002", doc))
	r.field == "spec.exceptions[0]"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_002_fail_no_requester if {
	doc := json.patch(with_exception(valid), [{"op": "remove", "path": "/metadata/requester"}])
	count(t.results("exceptions", "deny_nhi_exc_002", doc)) == 1
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_003_pass if {
	count(t.results("exceptions", "deny_nhi_exc_003", with_exception(valid))) == 0
}

test_nhi_exc_003_fail if {
	doc := with_field("expiresAt", "2026-11-25T12:00:00Z")
	r := t.only(t.results("exceptions", "deny_nhi_exc_003", doc))
	r.msg == "NHI-EXC-003 the exception for NHI-CRED-001 expired at 2026-11-25T12:00:00Z and no longer applies: remove it and fix the rule, or renew it with a new approval"
	r.field == "spec.exceptions[0].expiresAt"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_004_pass_at_limit if {
	count(t.results("exceptions", "deny_nhi_exc_004", with_field("expiresAt", "2027-02-23T12:00:00Z"))) == 0
}

test_nhi_exc_004_fail_too_far if {
	doc := with_field("expiresAt", "2027-02-23T12:00:01Z")
	r := t.only(t.results("exceptions", "deny_nhi_exc_004", doc))
	r.msg == "NHI-EXC-004 the exception for NHI-CRED-001 expires at 2027-02-23T12:00:01Z, more than maxExceptionDays (90) from now: write 2027-02-23T00:00:00Z or earlier"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_004_fail_missing if {
	doc := without_field("expiresAt")
	r := t.only(t.results("exceptions", "deny_nhi_exc_004", doc))
	r.field == "spec.exceptions[0]"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_005_pass if {
	count(t.results("exceptions", "deny_nhi_exc_005", with_exception(valid))) == 0
}

test_nhi_exc_005_fail_unknown if {
	doc := with_field("rule", "NHI-CRED-999")
	r := t.only(t.results("exceptions", "deny_nhi_exc_005", doc))
	r.msg == `NHI-EXC-005 the exception names rule "NHI-CRED-999", which is not a rule id: write a rule id from docs/POLICIES.md, e.g. rule: NHI-CRED-001`
	r.field == "spec.exceptions[0].rule"
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_005_fail_rule_name_not_id if {
	doc := with_field("rule", "nhi_cred_001")
	count(t.results("exceptions", "deny_nhi_exc_005", doc)) == 1
	count(t.waived("credential", doc)) == 0
}

test_nhi_exc_005_fail_not_waivable if {
	doc := with_field("rule", "NHI-SOD-001")
	r := t.only(t.results("exceptions", "deny_nhi_exc_005", doc))
	r.msg == "NHI-EXC-005 rule NHI-SOD-001 cannot be waived by an exception: fix the spec instead"
	count(t.waived("sod", doc)) == 0
}

test_nhi_exc_005_fail_not_a_mapping if {
	r := t.only(t.results("exceptions", "deny_nhi_exc_005", with_exception("NHI-CRED-001")))
	r.field == "spec.exceptions[0]"
}
