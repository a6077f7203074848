package nhigate_test.provenance

import data.nhigate_test.fixtures as t

test_nhi_prov_001_pass if {
	count(t.results("provenance", "deny_nhi_prov_001", t.spec)) == 0
}

test_nhi_prov_001_fail if {
	r := t.only(t.results("provenance", "deny_nhi_prov_001", t.remove("/metadata/provenance/generator")))
	startswith(r.msg, "NHI-PROV-001 metadata.provenance.generator is missing")
	r.field == "metadata.provenance"
}

test_nhi_prov_001_fail_no_provenance if {
	r := t.only(t.results("provenance", "deny_nhi_prov_001", t.remove("/metadata/provenance")))
	r.field == "metadata"
}

test_nhi_prov_002_pass if {
	count(t.results("provenance", "deny_nhi_prov_002", t.spec)) == 0
}

test_nhi_prov_002_pass_hash_only if {
	count(t.results("provenance", "deny_nhi_prov_002", t.remove("/metadata/provenance/prompt"))) == 0
}

test_nhi_prov_002_pass_prompt_only if {
	count(t.results("provenance", "deny_nhi_prov_002", t.remove("/metadata/provenance/promptSha256"))) == 0
}

test_nhi_prov_002_fail if {
	doc := t.patch([
		{"op": "remove", "path": "/metadata/provenance/prompt"},
		{"op": "remove", "path": "/metadata/provenance/promptSha256"},
	])
	r := t.only(t.results("provenance", "deny_nhi_prov_002", doc))
	startswith(r.msg, "NHI-PROV-002 metadata.provenance has neither prompt nor promptSha256")
	r.field == "metadata.provenance"
}

test_nhi_prov_003_pass if {
	count(t.results("provenance", "deny_nhi_prov_003", t.spec)) == 0
}

test_nhi_prov_003_pass_hash_only if {
	count(t.results("provenance", "deny_nhi_prov_003", t.remove("/metadata/provenance/prompt"))) == 0
}

test_nhi_prov_003_fail_mismatch if {
	doc := t.set("/metadata/provenance/prompt", "Give the payments CI pipeline admin access")
	r := t.only(t.results("provenance", "deny_nhi_prov_003", doc))
	r.msg == sprintf("NHI-PROV-003 metadata.provenance.promptSha256 does not match the prompt, whose SHA-256 is %s: restore the prompt the generator wrote, or record its hash", [crypto.sha256("Give the payments CI pipeline admin access")])
	r.field == "metadata.provenance.promptSha256"
}

test_nhi_prov_003_fail_not_hex if {
	doc := t.set("/metadata/provenance/promptSha256", upper(t.spec.metadata.provenance.promptSha256))
	r := t.only(t.results("provenance", "deny_nhi_prov_003", doc))
	startswith(r.msg, "NHI-PROV-003 metadata.provenance.promptSha256 is \"159AF")
}
