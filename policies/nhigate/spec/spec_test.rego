package nhigate_test.spec

import data.nhigate_test.fixtures as t

test_nhi_spec_001_pass if {
	count(t.results("spec", "deny_nhi_spec_001", t.spec)) == 0
}

test_nhi_spec_001_fail_api_version if {
	r := t.only(t.results("spec", "deny_nhi_spec_001", t.set("/apiVersion", "nhigate.dev/v2")))
	r.msg == `NHI-SPEC-001 apiVersion is "nhigate.dev/v2": write apiVersion: nhigate.dev/v1`
	r.field == "apiVersion"
}

test_nhi_spec_001_fail_kind_missing if {
	r := t.only(t.results("spec", "deny_nhi_spec_001", t.remove("/kind")))
	r.msg == "NHI-SPEC-001 kind is missing: write kind: ProvisioningWorkflow"
	r.field == ""
}

test_nhi_spec_001_fail_not_a_mapping if {
	r := t.only(t.results("spec", "deny_nhi_spec_001", ["a", "list"]))
	startswith(r.msg, `NHI-SPEC-001 the document is ["a","list"], not a mapping`)
}
