package nhigate_test.entitlements

import data.nhigate_test.fixtures as t

with_entitlement(e) := t.set("/spec/entitlements", [e])

broad_actions := ["*", "s3:*", "s3*", "iam:*Policy", "storage.*", "Microsoft.Storage/*", "*:GetObject", "ec2:?*"]

narrow_actions := ["s3:GetObject", "s3:Get*", "storage.objects.*", "ec2:Describe*", "Microsoft.Storage/storageAccounts/read"]

broad_resources := [
	"*",
	"*-logs",
	"arn:*",
	"arn:aws:*",
	"arn:aws:s3:*:*:x",
	"arn:aws:s3:::*",
	"arn:aws:s3:::*/*",
	"arn:aws:iam::123456789012:*",
	"arn:aws:iam::123456789012:role/*",
	"arn:aws:lambda:us-east-1:123456789012:function:*",
	"secret/*",
	"secret/data/*",
	"projects/*",
	"projects/my-project/*",
	"namespaces/payments/*",
	"//storage.googleapis.com/*",
]

narrow_resources := [
	"arn:aws:s3:::payments-artifacts/*",
	"arn:aws:s3:::payments-*",
	"arn:aws:iam::123456789012:role/ci-*",
	"arn:aws:dynamodb:us-east-1:123456789012:table/orders/*",
	"projects/p/buckets/b/*",
	"secret/data/payments/*",
	"payments-*",
	"arn:aws:s3:::payments-artifacts/report.csv",
]

test_nhi_ent_001_pass if {
	count(t.results("entitlements", "deny_nhi_ent_001", t.spec)) == 0
}

test_nhi_ent_001_pass_narrow_wildcards if {
	doc := with_entitlement({"actions": narrow_actions, "resources": ["arn:aws:s3:::b/k"]})
	count(t.results("entitlements", "deny_nhi_ent_001", doc)) == 0
}

test_nhi_ent_001_pass_outside_production if {
	doc := json.patch(with_entitlement({"actions": ["s3:*"], "resources": ["arn:aws:s3:::b/k"]}), [{"op": "replace", "path": "/spec/environment", "value": "staging"}])
	count(t.results("entitlements", "deny_nhi_ent_001", doc)) == 0
}

test_nhi_ent_001_fail if {
	doc := with_entitlement({"actions": broad_actions, "resources": ["arn:aws:s3:::b/k"]})
	rs := t.results("entitlements", "deny_nhi_ent_001", doc)
	{r.field | some r in rs} == {sprintf("spec.entitlements[0].actions[%d]", [j]) | some j, _ in broad_actions}
	some r in rs
	r.msg == `NHI-ENT-001 action "*" grants a whole service in production: list the exact actions, e.g. s3:GetObject instead of s3:*`
}

test_nhi_ent_002_pass if {
	count(t.results("entitlements", "deny_nhi_ent_002", t.spec)) == 0
}

test_nhi_ent_002_pass_named_resources if {
	doc := with_entitlement({"actions": ["s3:GetObject"], "resources": narrow_resources})
	count(t.results("entitlements", "deny_nhi_ent_002", doc)) == 0
}

test_nhi_ent_002_fail if {
	doc := with_entitlement({"actions": ["s3:GetObject"], "resources": broad_resources})
	rs := t.results("entitlements", "deny_nhi_ent_002", doc)
	{r.field | some r in rs} == {sprintf("spec.entitlements[0].resources[%d]", [j]) | some j, _ in broad_resources}
	some r in rs
	r.msg == `NHI-ENT-002 resource "arn:aws:s3:::*" covers a whole account or service in production: name the resource, e.g. arn:aws:s3:::payments-artifacts/*`
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
