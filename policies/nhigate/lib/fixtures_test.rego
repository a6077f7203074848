# Package nhigate_test.fixtures holds the fixtures of the Rego unit tests: a copy of
# the default configuration (a Go test keeps it equal to
# policies/data/nhigate.yaml), a part of the catalog of sensitive actions and
# resource types (a Go test keeps every entry true to
# policies/data/nhigate/catalog/catalog.json), a frozen clock, and a valid
# production spec.
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

# catalog is a part of data.nhigate.catalog, enough for the unit tests.
catalog := {
	"generator": "a part of policies/data/nhigate/catalog/catalog.json",
	"sources": {},
	"reasons": {
		"cr": "credential or secret access",
		"pe": "privilege escalation",
		"pm": "permissions management",
	},
	"order": ["kubernetes", "vault", "gcp", "github", "aws"],
	"example": {"action": "s3:GetObject", "resource": "arn:aws:s3:::payments-artifacts/*"},
	"platforms": {
		"aws": {
			"fold": true, "sep": ":", "services": true, "fieldSep": ":", "arn": true, "literalTypes": false,
			"context": ["Partition", "Region", "Account", "AccountId", "ManagementAccountId", "VpcOwnerAccount", "Vendor"],
			"example": {"action": "s3:GetObject", "resource": "arn:aws:s3:::payments-artifacts/*"},
			"actions": {
				"ec2": {"ec2:RunInstances": "pe"},
				"iam": {"iam:AttachRolePolicy": "pe", "iam:CreateAccessKey": "pe", "iam:PassRole": "pe", "iam:PutUserPolicy": "pe"},
				"s3": {"s3:PutBucketPolicy": "pm"},
				"secretsmanager": {"secretsmanager:GetSecretValue": "cr"},
			},
			"types": {
				"dynamodb": ["arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"],
				"iam": ["arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"],
				"lambda": ["arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"],
				"s3": ["arn:${Partition}:s3:::${BucketName}", "arn:${Partition}:s3:::${BucketName}/${ObjectName}"],
				"secretsmanager": ["arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}"],
			},
		},
		"gcp": {
			"fold": false, "sep": ".", "services": true, "fieldSep": "/", "arn": false, "literalTypes": false,
			"context": ["Project", "Location"],
			"example": {"action": "storage.objects.get", "resource": "projects/_/buckets/payments-artifacts/objects/*"},
			"actions": {
				"iam": {"iam.serviceAccounts.actAs": "pe", "iam.serviceAccounts.getAccessToken": "pe"},
				"roles/owner": {"roles/owner": "pe"},
			},
			"types": {"": ["projects/${ProjectId}", "projects/${Project}/secrets/${Secret}", "projects/_/buckets/${Bucket}"]},
			"grants": [{"scopes": ["organizations/${OrganizationId}", "folders/${FolderId}", "projects/${ProjectId}", "//cloudresourcemanager.googleapis.com/organizations/${OrganizationId}", "//cloudresourcemanager.googleapis.com/folders/${FolderId}", "//cloudresourcemanager.googleapis.com/projects/${ProjectId}"]}],
		},
		"github": {
			"fold": false, "sep": ":", "services": false, "fieldSep": "/", "arn": false, "literalTypes": false,
			"context": ["Owner"],
			"example": {"action": "contents:read", "resource": "acme/payments-api"},
			"actions": {"administration": {"administration:write": "pm"}, "secrets": {"secrets:write": "cr"}},
			"types": {"": ["${Owner}/${Repo}"]},
			"grants": [{"scopes": ["*"]}],
		},
		"kubernetes": {
			"fold": false, "sep": "", "services": false, "fieldSep": "/", "arn": false, "literalTypes": true,
			"context": ["Namespace"],
			"example": {"action": "get", "resource": "payments/configmaps"},
			"actions": {"": {"bind": "pm", "escalate": "pm", "impersonate": "pe"}},
			"types": {"": ["${Namespace}/pods/exec", "${Namespace}/pods/portforward", "${Namespace}/secrets", "${Namespace}/secrets/${Name}", "secrets"]},
			"grants": [
				{"reason": "pe", "actions": ["impersonate"], "scopes": ["users", "groups", "serviceaccounts", "uids", "userextras/${Extra}", "${Namespace}/serviceaccounts"]},
				{"reason": "pm", "actions": ["bind", "escalate"], "scopes": ["roles", "clusterroles", "${Namespace}/roles"]},
			],
		},
		"vault": {
			"fold": false, "sep": "", "services": false, "fieldSep": "/", "arn": false, "literalTypes": false,
			"segmentWildcard": "+", "trimLeft": "/",
			"context": ["Mount", "Method"],
			"example": {"action": "read", "resource": "secret/data/payments/ci"},
			"actions": {"": {"sudo": "pm"}},
			"types": {"": ["${Mount}/data/${Path}", "${Mount}/sts/${Role}", "auth/${Path}", "sys/${Path}"]},
			"grants": [{"scopes": ["sys", "sys/*", "auth", "auth/*"]}],
		},
	},
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
		with data.nhigate.catalog as catalog
		with data.nhigate.now as now
}

# only is the single element of a set of results.
only(rs) := r if {
	count(rs) == 1
	some r in rs
}

# waived(ns, doc) is the conftest exception set of package ns on doc.
waived(ns, doc) := {n | some [n] in results(ns, "exception", doc)}
