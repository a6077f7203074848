package nhigate_test.identity

import data.nhigate_test.fixtures as t

test_nhi_id_001_pass if {
	count(t.results("identity", "warn_nhi_id_001", t.spec)) == 0
}

test_nhi_id_001_fail if {
	r := t.only(t.results("identity", "warn_nhi_id_001", t.set("/spec/identity/consumer", "human")))
	startswith(r.msg, "NHI-ID-001 identity.consumer is human")
	r.field == "spec.identity.consumer"
	r.controls.owasp_nhi == ["NHI10"]
}
