// Package spectest writes the spec that tests of several packages start
// from: an AWS workload identity that reads one bucket's artifacts with a
// one-hour ephemeral credential, owned by @acme/platform.
package spectest

// YAML is that spec, a ProvisioningWorkflow named name: meta is appended to
// its metadata, and rest to its spec after the credential (expiresAt,
// revocation, approvals, exceptions), each line indented as written.
func YAML(name, meta, rest string) string {
	return `apiVersion: nhigate.dev/v1
kind: ProvisioningWorkflow
metadata:
  name: ` + name + `
  owner: "@acme/platform"
  requester: alice
` + meta + `spec:
  identity: {name: ci, type: workload-identity, platform: aws, consumer: pipeline}
  environment: staging
  entitlements:
    - actions: ["s3:GetObject"]
      resources: ["arn:aws:s3:::artifacts/*"]
  credential: {kind: ephemeral, ttl: 1h}
` + rest
}
