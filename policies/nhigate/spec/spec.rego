# Package nhigate.spec checks that a document is an nhigate spec at all, so
# that a misspelt apiVersion or kind cannot slip past the other rules.
package nhigate.spec

import data.nhigate.lib

deny_nhi_spec_001 contains lib.result_at("NHI-SPEC-001", "", msg) if {
	not is_object(input)
	msg := sprintf("the document is %s, not a mapping: write a ProvisioningWorkflow with apiVersion, kind, metadata and spec", [json.marshal(input)])
}

deny_nhi_spec_001 contains lib.result("NHI-SPEC-001", ["apiVersion"], msg) if {
	is_object(input)
	not input.apiVersion == "nhigate.dev/v1"
	msg := sprintf("apiVersion is %s: write apiVersion: nhigate.dev/v1", [lib.shown(["apiVersion"])])
}

deny_nhi_spec_001 contains lib.result("NHI-SPEC-001", ["kind"], msg) if {
	is_object(input)
	not input.kind == "ProvisioningWorkflow"
	msg := sprintf("kind is %s: write kind: ProvisioningWorkflow", [lib.shown(["kind"])])
}
