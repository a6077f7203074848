package spec

import _ "embed"

//go:embed provisioningworkflow.schema.json
var schemaJSON []byte

// SchemaID is the $id of the JSON Schema of a ProvisioningWorkflow.
const SchemaID = "https://nhigate.dev/schema/provisioningworkflow.schema.json"

// Schema returns the JSON Schema (draft-07) of a ProvisioningWorkflow
// document, for editors and for validators other than nhigate's own loader,
// which accepts exactly the documents the schema accepts (a test holds the
// two in agreement). The caller gets its own copy and may change it.
func Schema() []byte {
	return append([]byte(nil), schemaJSON...)
}
