package nhigate_test.ownership

import data.nhigate_test.fixtures as t

test_nhi_own_001_pass if {
	count(t.results("ownership", "deny_nhi_own_001", t.spec)) == 0
}

test_nhi_own_001_fail_missing if {
	r := t.only(t.results("ownership", "deny_nhi_own_001", t.remove("/metadata/owner")))
	r.msg == `NHI-OWN-001 metadata.owner is missing: name the accountable team or user, e.g. owner: "@acme/payments"`
	r.rule == "NHI-OWN-001"
	r.severity == "high"
	r.field == "metadata"
	r.fix == data.nhigate.lib.catalog["NHI-OWN-001"].fix
	r.controls.owasp_nhi == ["NHI1"]
}

test_nhi_own_001_fail_blank if {
	r := t.only(t.results("ownership", "deny_nhi_own_001", t.set("/metadata/owner", "  ")))
	r.field == "metadata.owner"
}

test_nhi_own_001_fail_no_metadata if {
	r := t.only(t.results("ownership", "deny_nhi_own_001", t.remove("/metadata")))
	r.field == ""
}

test_nhi_own_002_pass if {
	count(t.results("ownership", "deny_nhi_own_002", t.spec)) == 0
}

test_nhi_own_002_fail if {
	r := t.only(t.results("ownership", "deny_nhi_own_002", t.set("/metadata/requester", 42)))
	r.msg == "NHI-OWN-002 metadata.requester is 42: name the GitHub login of the human who asked, e.g. requester: alice"
	r.field == "metadata.requester"
}
