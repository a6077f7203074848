# Package nhigate_test.fixtures holds the fixtures of the Rego unit tests: a copy of
# the default configuration (a Go test keeps it equal to
# policies/data/nhigate.yaml), a frozen clock, and a valid production spec.
# The tests never depend on -d, so `conftest verify -p policies/nhigate`
# passes with or without data. It lives outside data.nhigate so that
# results() may look rules up by name.
package nhigate_test.fixtures

now := "2026-11-25T12:00:00Z"

config := {
	"environments": {
		"production": {"maxTTL": "8h", "maxGrant": "720h"},
		"staging": {"maxTTL": "24h", "maxGrant": "2160h"},
		"development": {"maxTTL": "24h", "maxGrant": "2160h"},
	},
	"delegated": {"maxTTL": "1h", "maxGrant": "168h"},
	"riskTiers": {
		"critical": {"approvers": [], "minApprovals": 2, "ownerMayApprove": false},
		"high": {"approvers": [], "minApprovals": 2, "ownerMayApprove": false},
		"medium": {"approvers": [], "minApprovals": 1, "ownerMayApprove": true},
		"low": {"approvers": [], "minApprovals": 1, "ownerMayApprove": true},
	},
	"highRiskPlatforms": ["vault", "github", "generic"],
	"maxExceptionDays": 90,
}

# spec passes every rule. It is a critical-tier production grant: its
# resource has a wildcard.
spec := {
	"apiVersion": "nhigate.dev/v1",
	"kind": "ProvisioningWorkflow",
	"metadata": {
		"name": "payments-ci-deploy",
		"owner": "@acme/payments",
		"requester": "alice",
		"provenance": {
			"generator": "chatops-bot@2.3.1",
			"prompt": "Give the payments CI pipeline write access to the prod artifacts bucket for today's release",
			"promptSha256": "159af696f81f2914a6cf3989765727a120005119fd8207890dd360e65e7d25d2",
			"generatedAt": "2026-11-25T10:00:00Z",
		},
	},
	"spec": {
		"identity": {
			"name": "payments-ci",
			"type": "workload-identity",
			"platform": "aws",
			"consumer": "pipeline",
		},
		"environment": "production",
		"entitlements": [{
			"actions": ["s3:GetObject", "s3:PutObject"],
			"resources": ["arn:aws:s3:::payments-artifacts/*"],
			"conditions": {},
		}],
		"credential": {"kind": "ephemeral", "ttl": "1h"},
		"expiresAt": "2026-11-26T00:00:00Z",
		"revocation": {"onCompletion": true, "onTimeout": "2h"},
		"approvals": {"required": ["@acme/security"], "minApprovals": 2},
	},
}

# patch applies JSON Patch operations to the fixture spec.
patch(ops) := json.patch(spec, ops)

set(path, value) := json.patch(spec, [{"op": "add", "path": path, "value": value}])

remove(path) := json.patch(spec, [{"op": "remove", "path": path}])

# results(ns, rule, doc) evaluates data.nhigate.<ns>.<rule> on doc with the
# fixture configuration and clock.
results(ns, rule, doc) := results_with(ns, rule, doc, config)

results_with(ns, rule, doc, cfg) := rs if {
	rs := data.nhigate[ns][rule] with input as doc
		with data.nhigate.config as cfg
		with data.nhigate.now as now
}

# only is the single element of a set of results.
only(rs) := r if {
	count(rs) == 1
	some r in rs
}

# waived(ns, doc) is the conftest exception set of package ns on doc.
waived(ns, doc) := {n | some [n] in results(ns, "exception", doc)}
