// Package schema holds the JSON Schema of the nhigate.dev/v1
// ProvisioningWorkflow, for editors and for validators other than nhigate's
// own loader, which accepts exactly the documents the schema accepts.
package schema

import _ "embed"

//go:embed provisioningworkflow.schema.json
var provisioningWorkflow []byte

// ID is the schema's $id.
const ID = "https://nhigate.dev/schema/provisioningworkflow.schema.json"

// JSON returns the schema of a ProvisioningWorkflow document (draft-07). The
// caller gets its own copy and may change it.
func JSON() []byte {
	return append([]byte(nil), provisioningWorkflow...)
}
