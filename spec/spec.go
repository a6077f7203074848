// Package spec defines the nhigate.dev/v1 ProvisioningWorkflow, the format in
// which generators request access for a non-human identity, and loads it from
// untrusted YAML or JSON with bounded resources and exact source positions.
package spec

import (
	"time"
)

// APIVersion and Kind identify a workflow document.
const (
	APIVersion = "nhigate.dev/v1"
	Kind       = "ProvisioningWorkflow"
)

// Workflow is one ProvisioningWorkflow document.
type Workflow struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       Spec     `yaml:"spec"`

	// Source says where the document came from. It is not part of the format.
	Source Source `yaml:"-"`
	// Production is set by a review from the repo's config: the workflow's
	// environment is production, whatever its name. It is not part of the
	// format.
	Production bool `yaml:"-"`
}

// Metadata names the workflow and records who is accountable for it.
type Metadata struct {
	Name       string     `yaml:"name"`
	Owner      string     `yaml:"owner"`
	Requester  string     `yaml:"requester"`
	Provenance Provenance `yaml:"provenance"`
}

// Provenance records how the workflow was generated, as audit evidence.
type Provenance struct {
	Generator    string `yaml:"generator"`
	Prompt       string `yaml:"prompt"`
	PromptSHA256 string `yaml:"promptSha256"`
	GeneratedAt  Time   `yaml:"generatedAt"`
}

// Spec is the access being requested.
type Spec struct {
	Identity     Identity      `yaml:"identity"`
	Environment  string        `yaml:"environment"`
	Entitlements []Entitlement `yaml:"entitlements"`
	Credential   Credential    `yaml:"credential"`
	ExpiresAt    Time          `yaml:"expiresAt"`
	Revocation   Revocation    `yaml:"revocation"`
	Approvals    Approvals     `yaml:"approvals"`
	Exceptions   []Exception   `yaml:"exceptions"`
}

// Identity is the non-human identity that receives the entitlements.
type Identity struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Platform string `yaml:"platform"`
	Consumer string `yaml:"consumer"`
}

// Entitlement grants every action on every resource, under the conditions.
type Entitlement struct {
	Actions    []string       `yaml:"actions"`
	Resources  []string       `yaml:"resources"`
	Conditions map[string]any `yaml:"conditions"`
}

// Credential says how the identity authenticates.
type Credential struct {
	Kind     string   `yaml:"kind"`
	TTL      Duration `yaml:"ttl"`
	Rotation Duration `yaml:"rotation"`
}

// Revocation says when access ends before expiresAt.
type Revocation struct {
	// OnCompletion is a pointer because "not set" and "false" read
	// differently in a review: one is an omission, the other a decision.
	OnCompletion *bool    `yaml:"onCompletion"`
	OnTimeout    Duration `yaml:"onTimeout"`
}

// Approvals are the approvers the spec asks for beyond CODEOWNERS and risk tiers.
type Approvals struct {
	Required     []string `yaml:"required"`
	MinApprovals int      `yaml:"minApprovals"`
}

// Exception waives one policy rule for this workflow until it expires.
type Exception struct {
	Rule       string `yaml:"rule"`
	Reason     string `yaml:"reason"`
	ApprovedBy string `yaml:"approvedBy"`
	ExpiresAt  Time   `yaml:"expiresAt"`
	Ticket     string `yaml:"ticket"`
}

// The allowed values of the enumerated fields, in the order documentation
// and error messages list them.
var (
	IdentityTypes   = []string{"workload-identity", "service-account", "api-key", "token", "certificate", "ssh-key"}
	Platforms       = []string{"aws", "gcp", "azure", "kubernetes", "github", "vault", "generic"}
	Consumers       = []string{"human", "pipeline", "agent", "scheduled-job"}
	CredentialKinds = []string{"ephemeral", "static"}
)

// Delegated reports whether the identity is used by automation acting on its
// own (an agent or a scheduled job) rather than by a person or a pipeline.
func (id Identity) Delegated() bool {
	return id.Consumer == "agent" || id.Consumer == "scheduled-job"
}

// Source locates a workflow in its file.
type Source struct {
	File string // repo-relative, slash-separated
	Doc  int    // 0-based index of the YAML document in the file
	// Positions maps a field path such as "spec.entitlements[0].actions[1]"
	// to where it is written. Mapping fields point at their key.
	Positions map[string]Pos
	// Raw is the document as plain JSON-compatible values, the input that
	// policies see.
	Raw map[string]any
}

// Pos is a 1-based line and column.
type Pos struct {
	Line, Col int
}

// Position returns the position of path, or of its closest recorded parent,
// so that a finding about a missing field still points into the document.
func (s Source) Position(path string) Pos {
	for p := path; ; {
		if pos, ok := s.Positions[p]; ok {
			return pos
		}
		i := lastSep(p)
		if i < 0 {
			return s.Positions[""]
		}
		p = p[:i]
	}
}

func lastSep(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return i
		}
	}
	return -1
}

// Time is an RFC 3339 timestamp that remembers how it was written.
type Time struct {
	time.Time
	Text string
}

// IsSet reports whether the field was present.
func (t Time) IsSet() bool { return t.Text != "" }

// Duration is a Go-syntax duration ("30m", "1h", "720h") that remembers how
// it was written.
type Duration struct {
	time.Duration
	Text string
}

// IsSet reports whether the field was present.
func (d Duration) IsSet() bool { return d.Text != "" }
