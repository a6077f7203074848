# Package nhigate.provenance requires audit evidence of how a spec was
# generated: the generator, and the prompt or its SHA-256, which must match.
package nhigate.provenance

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

p := input.metadata.provenance

deny_nhi_prov_001 contains lib.result("NHI-PROV-001", ["metadata", "provenance", "generator"], msg) if {
	not lib.non_empty(object.get(lib.doc, ["metadata", "provenance", "generator"], null))
	msg := sprintf("metadata.provenance.generator is %s: record the tool that wrote the spec, e.g. generator: chatops-bot@2.3.1", [lib.shown(["metadata", "provenance", "generator"])])
}

deny_nhi_prov_002 contains lib.result("NHI-PROV-002", ["metadata", "provenance", "prompt"], msg) if {
	not has_prompt
	not lib.non_empty(object.get(lib.doc, ["metadata", "provenance", "promptSha256"], null))
	msg := "metadata.provenance has neither prompt nor promptSha256: record the prompt, or its lowercase hex SHA-256 in promptSha256"
}

has_prompt if {
	is_string(p.prompt)
	p.prompt != ""
}

deny_nhi_prov_003 contains lib.result("NHI-PROV-003", ["metadata", "provenance", "promptSha256"], msg) if {
	_ = p.promptSha256
	not digest(object.get(lib.doc, ["metadata", "provenance", "promptSha256"], null))
	msg := sprintf("metadata.provenance.promptSha256 is %s, not a SHA-256: write the 64 lowercase hex digits of sha256(prompt)", [lib.shown(["metadata", "provenance", "promptSha256"])])
}

deny_nhi_prov_003 contains lib.result("NHI-PROV-003", ["metadata", "provenance", "promptSha256"], msg) if {
	has_prompt
	digest(p.promptSha256)
	want := crypto.sha256(p.prompt)
	p.promptSha256 != want
	msg := sprintf("metadata.provenance.promptSha256 does not match the prompt, whose SHA-256 is %s: restore the prompt the generator wrote, or record its hash", [want])
}

digest(s) if {
	is_string(s)
	regex.match(`^[0-9a-f]{64}$`, s)
}
