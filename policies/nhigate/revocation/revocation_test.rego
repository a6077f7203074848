package nhigate_test.revocation

import data.nhigate_test.fixtures as t

test_nhi_rev_001_pass if {
	count(t.results("revocation", "deny_nhi_rev_001", t.spec)) == 0
}

test_nhi_rev_001_pass_completion_only if {
	count(t.results("revocation", "deny_nhi_rev_001", t.set("/spec/revocation", {"onCompletion": true}))) == 0
}

test_nhi_rev_001_pass_timeout_only if {
	count(t.results("revocation", "deny_nhi_rev_001", t.set("/spec/revocation", {"onTimeout": "30m"}))) == 0
}

test_nhi_rev_001_fail if {
	r := t.only(t.results("revocation", "deny_nhi_rev_001", t.set("/spec/revocation", {"onCompletion": false})))
	r.msg == "NHI-REV-001 revocation is not automatic (onCompletion false, onTimeout missing): set revocation.onCompletion: true and/or revocation.onTimeout: 2h"
	r.field == "spec.revocation"
}

test_nhi_rev_001_fail_missing if {
	r := t.only(t.results("revocation", "deny_nhi_rev_001", t.remove("/spec/revocation")))
	r.field == "spec"
}

test_nhi_rev_001_fail_bad_timeout if {
	r := t.only(t.results("revocation", "deny_nhi_rev_001", t.set("/spec/revocation/onTimeout", "2 hours")))
	r.msg == `NHI-REV-001 revocation.onTimeout is "2 hours", not a Go duration: write e.g. onTimeout: 2h`
	r.field == "spec.revocation.onTimeout"
}
