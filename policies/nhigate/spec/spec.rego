# Package nhigate.spec checks that a document is an nhigate spec at all, so
# that a misspelt apiVersion or kind cannot slip past the other rules.
package nhigate.spec

import data.nhigate.lib

# nhigate's strict loader rejects every document that a body of spec_001
# denies, and the nhigate engine sets data.nhigate.loaded only for a
# document it has found to be so itself (policies/loaded.go); conftest sets
# nothing and checks them all.
deny_nhi_spec_001 contains r if {
	not data.nhigate.loaded
	some r in spec_001
}

spec_001 contains lib.result_at("NHI-SPEC-001", "", msg) if {
	not is_object(input)
	msg := sprintf("the document is %s, not a mapping: write a ProvisioningWorkflow with apiVersion, kind, metadata and spec", [json.marshal(input)])
}

spec_001 contains lib.result("NHI-SPEC-001", ["apiVersion"], msg) if {
	is_object(input)
	not input.apiVersion == "nhigate.dev/v1"
	msg := sprintf("apiVersion is %s: write apiVersion: nhigate.dev/v1", [lib.shown(["apiVersion"])])
}

spec_001 contains lib.result("NHI-SPEC-001", ["kind"], msg) if {
	is_object(input)
	not input.kind == "ProvisioningWorkflow"
	msg := sprintf("kind is %s: write kind: ProvisioningWorkflow", [lib.shown(["kind"])])
}
