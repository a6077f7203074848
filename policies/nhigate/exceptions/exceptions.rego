# Package nhigate.exceptions reports spec exceptions that do not waive
# anything: an exception needs a known, waivable rule id, a reason, an
# approver other than the requester, and an expiry in the future at most
# maxExceptionDays away. An expired exception no longer applies. These
# rules cannot be waived themselves.
package nhigate.exceptions

import data.nhigate.lib

requester := object.get(lib.doc, ["metadata", "requester"], null)

deny_nhi_exc_001 contains lib.result("NHI-EXC-001", ["spec", "exceptions", i, "reason"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	not lib.non_empty(object.get(e, "reason", null))
	msg := sprintf("the exception for %s has reason %s: say why the rule cannot be met, e.g. reason: \"vendor API only supports static keys\"", [rule_text(e), lib.shown(["spec", "exceptions", i, "reason"])])
}

deny_nhi_exc_002 contains lib.result("NHI-EXC-002", ["spec", "exceptions", i, "approvedBy"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	not lib.non_empty(object.get(e, "approvedBy", null))
	msg := sprintf("the exception for %s has approvedBy %s: name who approved it, e.g. approvedBy: \"@acme/security\"", [rule_text(e), lib.shown(["spec", "exceptions", i, "approvedBy"])])
}

deny_nhi_exc_002 contains lib.result("NHI-EXC-002", ["spec", "exceptions", i, "approvedBy"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	lib.non_empty(e.approvedBy)
	lib.non_empty(requester)
	lib.norm(e.approvedBy) == lib.norm(requester)
	msg := sprintf("the exception for %s is approved by the requester %s: a requester never approves their own exception; name an independent approver", [rule_text(e), requester])
}

deny_nhi_exc_002 contains lib.result("NHI-EXC-002", ["spec", "exceptions", i, "approvedBy"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	lib.non_empty(e.approvedBy)
	not lib.non_empty(requester)
	msg := sprintf("the exception for %s cannot be told apart from a self-approval because metadata.requester is missing: set metadata.requester", [rule_text(e)])
}

deny_nhi_exc_003 contains lib.result("NHI-EXC-003", ["spec", "exceptions", i, "expiresAt"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	lib.time_ns(e.expiresAt) <= lib.now_ns
	msg := sprintf("the exception for %s expired at %s and no longer applies: remove it and fix the rule, or renew it with a new approval", [rule_text(e), e.expiresAt])
}

deny_nhi_exc_004 contains lib.result("NHI-EXC-004", ["spec", "exceptions", i, "expiresAt"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	not lib.time_ns(object.get(e, "expiresAt", null))
	msg := sprintf("the exception for %s has expiresAt %s: write an RFC3339 time at most %s days away, e.g. %s", [rule_text(e), lib.shown(["spec", "exceptions", i, "expiresAt"]), max_days_text, example])
}

deny_nhi_exc_004 contains lib.result("NHI-EXC-004", ["spec", "exceptions", i, "expiresAt"], msg) if {
	lib.has_config
	some i, e in input.spec.exceptions
	is_object(e)
	lib.time_ns(e.expiresAt) > lib.now_ns
	not lib.exception_expiry_ok(e)
	msg := sprintf("the exception for %s expires at %s, more than maxExceptionDays (%s) from now: write %s or earlier", [rule_text(e), e.expiresAt, max_days_text, latest])
}

max_days_text := sprintf("%v", [lib.config.maxExceptionDays]) if {
	is_number(lib.config.maxExceptionDays)
} else := "90"

latest := lib.fmt_day_floor(lib.now_ns + ((lib.config.maxExceptionDays * 24) * lib.hour_ns)) if {
	is_number(lib.config.maxExceptionDays)
} else := "a time within maxExceptionDays (maxExceptionDays is not configured)"

example := lib.fmt_day_ceil(lib.now_ns + ((30 * 24) * lib.hour_ns))

deny_nhi_exc_005 contains lib.result("NHI-EXC-005", ["spec", "exceptions", i], msg) if {
	some i, e in input.spec.exceptions
	not is_object(e)
	msg := sprintf("spec.exceptions[%v] is %s: write a mapping with rule, reason, approvedBy, expiresAt and ticket", [i, json.marshal(e)])
}

deny_nhi_exc_005 contains lib.result("NHI-EXC-005", ["spec", "exceptions", i, "rule"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	not known(object.get(e, "rule", null))
	msg := sprintf("the exception names rule %s, which is not a rule id: write a rule id from docs/POLICIES.md, e.g. rule: NHI-CRED-001", [lib.shown(["spec", "exceptions", i, "rule"])])
}

deny_nhi_exc_005 contains lib.result("NHI-EXC-005", ["spec", "exceptions", i, "rule"], msg) if {
	some i, e in input.spec.exceptions
	is_object(e)
	lib.catalog[e.rule].waivable == false
	msg := sprintf("rule %s cannot be waived by an exception: fix the spec instead", [e.rule])
}

known(id) if _ = lib.catalog[id]

rule_text(e) := e.rule if {
	is_string(e.rule)
} else := "an unnamed rule"
