package nhigate_test.entitlements

import data.nhigate_test.fixtures as t

with_entitlement(e) := t.set("/spec/entitlements", [e])

on_platform(platform, e) := json.patch(with_entitlement(e), [{"op": "replace", "path": "/spec/identity/platform", "value": platform}])

# Broad patterns, per platform: each covers everything, a sensitive action,
# every action of a service, every resource of a type, or every account, by
# what it matches and whatever its spelling. The fixture catalog
# (t.catalog) is a part of the real one.
broad_actions := {
	"aws": ["*", "*:GetObject", "*Policy*", "s3:*", "s3*", "s?:*", "iam:P*", "iam:*Policy*", "iam:Pass?ole", "IAM:pass*", "ec2:?*", "xray:*", "secretsmanager:Get*", "storage.*", "Microsoft.Storage/*"],
	"gcp": ["iam.serviceAccounts.*", "iam.*", "roles/own?r", "roles/*"],
	"kubernetes": ["*", "esc*", "b?nd", "imp*"],
	"vault": ["s?do"],
	"github": ["admin*", "*:write", "secrets:*"],
	"generic": ["iam:P*", "esc*"],
}

narrow_actions := {
	"aws": ["s3:GetObject", "s3:Get*", "ec2:Describe*", "iam:Get*", "iam:PassRole"],
	"gcp": ["storage.objects.*", "pubsub.topics.publish", "iam.roles.get"],
	"kubernetes": ["get", "g*", "list", "patch"],
	"vault": ["read", "re*"],
	"github": ["contents:*", "contents:read"],
}

broad_resources := {
	"aws": [
		"*",
		"*-logs",
		"arn:*",
		"arn:aws:*",
		"arn:*:123456789012:role/*",
		"secret*",
		"namespaces/payments/*",
		"arn:aws:s3:*:*:x",
		"arn:aws:s?:::bucket",
		"arn:aws:s3:::*",
		"arn:aws:s3:::*/*",
		"arn:aws:iam::123456789012:*",
		"arn:aws:iam::123456789012:role/*",
		"arn:aws:iam::123456789012:rol?/*",
		"arn:aws:iam::123456789012:role/??*",
		"arn:aws:iam::*:role/ci-*",
		"arn:aws:lambda:us-east-1:123456789012:function:*",
		"arn:aws:secretsmanager:*:*:secret:*",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:*",
		# An identifier led by a wildcard names by suffix or infix alone.
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:*-*",
		"arn:aws:iam::123456789012:role/*e*",
		"arn:aws:iam::123456789012:role/*/*",
	],
	"gcp": ["projects/*", "projects/my-project/*", "projects/_/buckets/*"],
	"kubernetes": ["payments/secrets", "secrets", "payments/secrets/*", "p*/secrets", "payments/*", "payments/pods/*", "*/deployments", "payments/secrets/*-*", "payments/pods/portforward"],
	"vault": ["sys/*", "auth/*", "secret/*", "secret/data/*", "secret/data/+", "secret*", "+/+", "secret/data/*/*", "secret/data/*a", "/secret/data/*", "/sys/*", "aws/sts/*"],
	"github": ["acme/*", "*"],
	"generic": ["secret*", "payments/secrets", "arn:aws:iam::123456789012:rol?/*"],
}

narrow_resources := {
	"aws": [
		"arn:aws:s3:::payments-artifacts/*",
		"arn:aws:s3:::payments-*",
		"arn:aws:s3:::payments-artifacts/report.csv",
		"arn:aws:iam::123456789012:role/ci-*",
		"arn:aws:dynamodb:us-east-1:123456789012:table/orders/*",
		"arn:aws:secretsmanager:*:123456789012:secret:prod/payments-*",
		"arn:aws:iam:*:123456789012:role/ci-*",
		"payments-bucket",
	],
	"gcp": ["projects/p/buckets/b/*", "projects/_/buckets/acme-ml/objects/training/*", "projects/acme-search-dev/topics/reindex-requests"],
	"kubernetes": ["payments/pods", "payments/deployments", "payments/secrets/db-password", "payments/configmaps", "payments/secrets/db-*"],
	"vault": ["secret/data/payments/*", "database/creds/payments-migrator", "secret/metadata/checkout/dev/*", "/secret/data/payments/*", "aws/sts/deploy"],
	"github": ["acme/payments-*", "acme/docs-site"],
	"generic": ["payments/app-*"],
}

ent_results(rule, platform, e) := t.results("entitlements", rule, on_platform(platform, e))

test_nhi_ent_001_pass if {
	count(t.results("entitlements", "deny_nhi_ent_001", t.spec)) == 0
}

test_nhi_ent_001_pass_each_narrow if {
	every platform, actions in narrow_actions {
		count(ent_results("deny_nhi_ent_001", platform, {"actions": actions, "resources": ["x"]})) == 0
	}
}

test_nhi_ent_001_pass_outside_production if {
	doc := json.patch(with_entitlement({"actions": ["s3:*", "iam:P*"], "resources": ["arn:aws:s3:::b/k"]}), [{"op": "replace", "path": "/spec/environment", "value": "staging"}])
	count(t.results("entitlements", "deny_nhi_ent_001", doc)) == 0
}

test_nhi_ent_001_fail if {
	every platform, actions in broad_actions {
		rs := ent_results("deny_nhi_ent_001", platform, {"actions": actions, "resources": ["x"]})
		{r.field | some r in rs} == {sprintf("spec.entitlements[0].actions[%d]", [j]) | some j, _ in actions}
	}
}

test_nhi_ent_001_fail_messages if {
	rs := ent_results("deny_nhi_ent_001", "aws", {"actions": ["*", "s3:*", "iam:P*"], "resources": ["x"]})
	{r.msg | some r in rs} == {
		`NHI-ENT-001 action "*" covers every action of every service in production: list the exact actions, e.g. s3:GetObject`,
		`NHI-ENT-001 action "s3:*" covers every action of a service in production: list the exact actions, e.g. s3:GetObject`,
		`NHI-ENT-001 action "iam:P*" covers the sensitive action iam:PassRole (privilege escalation) in production: list the exact actions it needs, and name iam:PassRole on its own only if it needs it`,
	}
}

test_nhi_ent_001_fail_unknown_platform if {
	# A platform the catalog lacks is judged against every platform.
	rs := ent_results("deny_nhi_ent_001", "generic", {"actions": ["esc*"], "resources": ["x"]})
	r := t.only(rs)
	r.msg == `NHI-ENT-001 action "esc*" covers the sensitive action escalate (permissions management) in production: list the exact actions it needs, and name escalate on its own only if it needs it`
}

test_nhi_ent_001_excepted if {
	doc := json.patch(with_entitlement({"actions": ["iam:P*"], "resources": ["x"]}), [{"op": "add", "path": "/spec/exceptions", "value": [{
		"rule": "NHI-ENT-001",
		"reason": "bootstrap of the account",
		"approvedBy": "@acme/security",
		"expiresAt": "2026-12-01T00:00:00Z",
	}]}])
	count(t.results("entitlements", "deny_nhi_ent_001", doc)) == 1
	t.waived("entitlements", doc) == {"nhi_ent_001"}
}

test_nhi_ent_002_pass if {
	count(t.results("entitlements", "deny_nhi_ent_002", t.spec)) == 0
}

test_nhi_ent_002_pass_named_resources if {
	every platform, resources in narrow_resources {
		count(ent_results("deny_nhi_ent_002", platform, {"actions": ["get"], "resources": resources})) == 0
	}
}

test_nhi_ent_002_fail if {
	every platform, resources in broad_resources {
		rs := ent_results("deny_nhi_ent_002", platform, {"actions": ["get"], "resources": resources})
		{r.field | some r in rs} == {sprintf("spec.entitlements[0].resources[%d]", [j]) | some j, _ in resources}
	}
}

test_nhi_ent_002_fail_messages if {
	rs := ent_results("deny_nhi_ent_002", "aws", {"actions": ["s3:GetObject"], "resources": [
		"arn:aws:iam::123456789012:rol?/*",
		"arn:aws:iam::*:role/ci-*",
		"arn:*:123456789012:role/*",
	]})
	{r.msg | some r in rs} == {
		"NHI-ENT-002 resource \"arn:aws:iam::123456789012:rol?/*\" covers every resource of the form arn:${Partition}:iam::${Account}:role/${RoleNameWithPath} in production: name the resources, e.g. arn:aws:iam::123456789012:role/${RoleNameWithPath}",
		`NHI-ENT-002 resource "arn:aws:iam::*:role/ci-*" covers every account in production: name the account, e.g. arn:aws:iam::123456789012:role/ci-*`,
		`NHI-ENT-002 resource "arn:*:123456789012:role/*" lets a wildcard span the fields of an ARN in production: write every field of the ARN, e.g. arn:aws:s3:::payments-artifacts/*`,
	}
}

test_nhi_ent_002_fail_kubernetes_literal if {
	# A Kubernetes resource without wildcard still names every secret of
	# the namespace.
	r := t.only(ent_results("deny_nhi_ent_002", "kubernetes", {"actions": ["get"], "resources": ["payments/secrets"]}))
	r.msg == "NHI-ENT-002 resource \"payments/secrets\" covers every resource of the form ${Namespace}/secrets in production: name the resources, e.g. payments/secrets/${Name}"
}

test_nhi_ent_002_pass_outside_production if {
	doc := json.patch(on_platform("kubernetes", {"actions": ["get"], "resources": ["payments/secrets", "*"]}), [{"op": "replace", "path": "/spec/environment", "value": "development"}])
	count(t.results("entitlements", "deny_nhi_ent_002", doc)) == 0
}

test_nhi_ent_003_pass if {
	count(t.results("entitlements", "deny_nhi_ent_003", t.spec)) == 0
}

test_nhi_ent_003_fail_missing if {
	r := t.only(t.results("entitlements", "deny_nhi_ent_003", t.remove("/spec/entitlements")))
	r.msg == "NHI-ENT-003 spec.entitlements is missing: list at least one entitlement with actions and resources"
	r.field == "spec"
}

test_nhi_ent_003_fail_empty if {
	r := t.only(t.results("entitlements", "deny_nhi_ent_003", t.set("/spec/entitlements", [])))
	r.field == "spec.entitlements"
}

test_nhi_ent_003_fail_not_ascii if {
	doc := with_entitlement({"actions": ["s3:Get\uff0a", "s3:GetObject"], "resources": ["arn:aws:s3:::b\u200b/*", "arn:aws:s3:::p\u0430yments/*", "arn:aws:s3:::b\u0007"]})
	rs := t.results("entitlements", "deny_nhi_ent_003", doc)
	{r.field | some r in rs} == {
		"spec.entitlements[0].actions[0]",
		"spec.entitlements[0].resources[0]",
		"spec.entitlements[0].resources[1]",
		"spec.entitlements[0].resources[2]",
	}
	some r in rs
	r.field == "spec.entitlements[0].actions[0]"
	r.msg == `NHI-ENT-003 spec.entitlements[0].actions[0] has a character that is not printable ASCII after "s3:Get" (character 7): write printable ASCII without spaces; a look-alike letter, a full-width * or an invisible character is not the character it looks like`
}

test_nhi_ent_003_fail_shapes if {
	doc := t.set("/spec/entitlements", ["s3:*", {"actions": ["s3:GetObject", ""]}, {"actions": [], "resources": [1]}])
	fields := {r.field | some r in t.results("entitlements", "deny_nhi_ent_003", doc)}
	fields == {
		"spec.entitlements[0]",
		"spec.entitlements[1].actions[1]",
		"spec.entitlements[1]",
		"spec.entitlements[2].actions",
		"spec.entitlements[2].resources[0]",
	}
}

# A sensitive action on a resource that names a whole scope or type is
# broad as a pair, even when both are literal; it is reported at the
# action, once per such resource.
broad_pairs := {
	"kubernetes": [["impersonate", "users"], ["impersonate", "payments/serviceaccounts"], ["bind", "clusterroles"], ["escalate", "payments/roles"]],
	"gcp": [["roles/owner", "organizations/123456789012"], ["iam.serviceAccounts.actAs", "projects/p1"]],
	"vault": [["sudo", "sys/raw"], ["sudo", "/sys/raw"], ["sudo", "auth/token/accessors"]],
	"github": [["administration:write", "acme/payments-api"], ["secrets:write", "acme/payments-api"]],
	"generic": [["impersonate", "users"]],
}

narrow_pairs := {
	"kubernetes": [["impersonate", "users/alice"], ["bind", "clusterroles/view"], ["get", "users"]],
	"gcp": [["roles/owner", "projects/_/buckets/b"], ["storage.objects.get", "projects/p1"]],
	"vault": [["sudo", "secret/data/payments/ci"], ["read", "sys/raw"]],
	"github": [["contents:write", "acme/payments-api"]],
}

test_nhi_ent_001_fail_sensitive_pair if {
	every platform, pairs in broad_pairs {
		every pair in pairs {
			rs := ent_results("deny_nhi_ent_001", platform, {"actions": [pair[0]], "resources": [pair[1]]})
			{r.field | some r in rs} == {"spec.entitlements[0].actions[0]"}
		}
	}
}

test_nhi_ent_001_pass_narrow_pair if {
	every platform, pairs in narrow_pairs {
		every pair in pairs {
			count(ent_results("deny_nhi_ent_001", platform, {"actions": [pair[0]], "resources": [pair[1]]})) == 0
		}
	}
}

test_nhi_ent_001_sensitive_pair_message if {
	r := t.only(ent_results("deny_nhi_ent_001", "kubernetes", {"actions": ["impersonate"], "resources": ["payments/serviceaccounts", "users/alice"]}))
	r.msg == `NHI-ENT-001 action "impersonate" on resource "payments/serviceaccounts" grants the sensitive action impersonate (privilege escalation) on a whole scope or type, ${Namespace}/serviceaccounts in production: grant impersonate only on the named resources that need it`
}

test_nhi_ent_001_sensitive_pair_outside_production if {
	doc := json.patch(on_platform("kubernetes", {"actions": ["impersonate"], "resources": ["users"]}), [{"op": "replace", "path": "/spec/environment", "value": "staging"}])
	count(t.results("entitlements", "deny_nhi_ent_001", doc)) == 0
}

# An environment the config marks production, whatever its name, meets
# production's rules; an environment not marked does not.
test_nhi_ent_001_fail_production_by_another_name if {
	prod := json.patch(t.config, [{"op": "add", "path": "/environments/prod", "value": {"maxTTL": "8h", "maxGrant": "720h", "production": true}}])
	doc := json.patch(with_entitlement({"actions": ["s3:*"], "resources": ["arn:aws:s3:::b/k"]}), [{"op": "replace", "path": "/spec/environment", "value": "prod"}])
	count(t.results_with("entitlements", "deny_nhi_ent_001", doc, prod)) == 1
	qa := json.patch(t.config, [{"op": "add", "path": "/environments/qa", "value": {"maxTTL": "8h", "maxGrant": "720h"}}])
	doc_qa := json.patch(doc, [{"op": "replace", "path": "/spec/environment", "value": "qa"}])
	count(t.results_with("entitlements", "deny_nhi_ent_001", doc_qa, qa)) == 0
}
