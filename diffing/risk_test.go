package diffing

import (
	"testing"

	"github.com/nhigate/nhigate/spec"
)

// TestRiskOfBroadPatterns holds the diff's risk to the catalog's judgement
// of broadness, the one NHI-ENT-001/002 make: a grant that covers a
// sensitive action, every action of a service, every resource of a type or
// every account is critical in production when added or widened, whatever
// the spelling of its wildcard; a narrow grant is not.
func TestRiskOfBroadPatterns(t *testing.T) {
	workflow := func(platform, env string) *spec.Workflow {
		w := &spec.Workflow{}
		w.Spec.Identity = spec.Identity{Name: "ci", Platform: platform, Consumer: "pipeline"}
		w.Spec.Environment = env
		return w
	}
	tests := []struct {
		platform         string
		action, resource string
		broad            bool
	}{
		{"aws", "iam:P*", "arn:aws:iam::123456789012:role/ci", true},
		{"aws", "iam:*Policy*", "arn:aws:iam::123456789012:role/ci", true},
		{"aws", "iam:Pass?ole", "arn:aws:iam::123456789012:role/ci", true},
		{"aws", "s?:*", "arn:aws:s3:::payments-artifacts/*", true},
		{"aws", "secretsmanager:Get*", "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-AbCdEf", true},
		{"aws", "iam:GetRole", "arn:aws:iam::123456789012:rol?/*", true},
		{"aws", "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:*", true},
		{"aws", "s3:GetObject", "secret*", true},
		{"kubernetes", "get", "payments/secrets", true},
		{"vault", "read", "sys/*", true},
		{"generic", "read", "secret*", true},
		{"aws", "s3:GetObject", "arn:aws:s3:::payments-artifacts/*", false},
		{"aws", "s3:Get*", "arn:aws:s3:::payments-artifacts/*", false},
		{"kubernetes", "get", "payments/pods", false},
	}
	for _, tt := range tests {
		g := Grant{Action: tt.action, Resource: tt.resource}
		prod, staging := workflow(tt.platform, "production"), workflow(tt.platform, "staging")

		added, widened := rateAdded(prod, g), rateWidened(prod, g)
		if got := added.risk == Critical; got != tt.broad {
			t.Errorf("%s %s on %s added in production: %v %q, want critical = %v", tt.platform, tt.action, tt.resource, added.risk, added.reason, tt.broad)
		}
		if tt.broad && widened.risk != Critical {
			t.Errorf("%s %s on %s widened in production: %v %q, want critical", tt.platform, tt.action, tt.resource, widened.risk, widened.reason)
		}
		staged := rateAdded(staging, g)
		if want := map[bool]Risk{true: High, false: Medium}[tt.broad]; staged.risk != want {
			t.Errorf("%s %s on %s added in staging: %v %q, want %v", tt.platform, tt.action, tt.resource, staged.risk, staged.reason, want)
		}
	}

	// The reason says what the pattern covers.
	r := rateAdded(workflow("aws", "production"), Grant{Action: "iam:P*", Resource: "arn:aws:iam::123456789012:role/ci"})
	if want := `broad in production: "iam:P*" covers the sensitive action iam:PassRole (privilege escalation)`; r.reason != want {
		t.Errorf("reason = %q, want %q", r.reason, want)
	}
	// A grant of everything stays critical everywhere.
	if r := rateAdded(workflow("aws", "development"), Grant{Action: "*", Resource: "*"}); r.risk != Critical {
		t.Errorf("* on * in development: %v %q, want critical", r.risk, r.reason)
	}
}
