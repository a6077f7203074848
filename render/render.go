// Package render is the deployer's last mile and the adopter's first. A
// Target turns a verified spec into the access artifacts a platform reads
// natively (an IAM policy, a Role and RoleBinding, a Vault policy), with
// expiry and lifetime enforced by the platform where it can. A Source turns
// a platform's existing access back into specs, one per principal.
//
// Both directions are exact or they fail: a target refuses a spec it cannot
// express faithfully with a FieldError that names the field, and a source
// refuses a statement it cannot model (a Deny, a NotAction) by name. Neither
// ever drops or widens anything silently. The round trip is the test:
// importing what a target rendered gives the spec's grants back (SameAccess).
//
// The platforms live in the packages below this one (render/aws,
// render/kubernetes, ...); render/all lists them.
package render

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/spec"
)

// File is one rendered artifact.
type File struct {
	// Name is the file's path below the output directory, slash-separated,
	// led by the spec's name: "payments-ci-deploy/policy.json".
	Name string
	Data []byte
}

// Target renders the specs of one platform.
type Target struct {
	// Name is the value of --target ("aws").
	Name string
	// Platform is the spec platform the target renders.
	Platform string
	// Summary is one line for nhigate render --help.
	Summary string
	// Render returns the artifacts of w, deterministically: the same
	// workflow always gives the same bytes, in the same order. It returns a
	// *FieldError (or Errors of them) for anything the platform cannot
	// express as written. It may assume w passed the spec loader.
	Render func(w *spec.Workflow) ([]File, error)
}

// Source imports the access of one platform's artifacts.
type Source struct {
	// Name is the value of --from ("aws-iam").
	Name string
	// Platform is the spec platform of the principals it finds.
	Platform string
	// Summary is one line for nhigate import --help.
	Summary string
	// Import reads one file (file names it in errors) and returns the
	// principals it grants access to. It refuses, with an error that names
	// the statement, anything it cannot model.
	Import func(file string, data []byte) ([]Principal, error)
	// Skipped, when set, names what Import left out on purpose because it
	// is no non-human identity (a person, a group), so that the user sees
	// what the specs do not cover. It is called only after Import
	// succeeded on the same file.
	Skipped func(file string, data []byte) []string
}

// Principal is one identity's access, as an import found it.
type Principal struct {
	Identity     spec.Identity
	Entitlements []spec.Entitlement
	// CredentialKind is "ephemeral" or "static" when the source says,
	// "" when it does not.
	CredentialKind string
	// TTL is the credential lifetime the source enforces, 0 when it says
	// none.
	TTL time.Duration
	// ExpiresAt is the expiry the source enforces (an IAM condition on
	// aws:CurrentTime, a Vault explicit max TTL as a date); zero when it
	// enforces none. Import never invents one.
	ExpiresAt time.Time
	// Environment is the environment the source names, "" when it names
	// none.
	Environment string
}

// MaxImportValues bounds what one import writes: the actions and
// resources of every principal's entitlements, counted once for each
// entitlement that holds them. A source refers to access by name (a
// managed policy attached to many roles, a group's policies for each of its
// users, a custom role bound for many members), so a small file can stand
// for far more grants than it holds; every source and nhigate import count
// them against this bound, failing closed with an error that names it.
const MaxImportValues = 100000

// ImportValues is how many actions and resources es hold, as
// MaxImportValues counts them.
func ImportValues(es []spec.Entitlement) int {
	n := 0
	for _, e := range es {
		n += len(e.Actions) + len(e.Resources)
	}
	return n
}

// FieldError says that a field of a spec cannot be rendered faithfully on a
// target, and what to write instead.
type FieldError struct {
	// Field is the spec path, as spec.Source.Position takes it:
	// "spec.entitlements[0].actions[2]".
	Field string
	// Msg says what is wrong and what to write instead.
	Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Fieldf returns a *FieldError for field.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Errors is every field a target refused, in spec order.
type Errors []*FieldError

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// Err returns es as an error, nil when it is empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// ActionField and ResourceField name the fields of entitlement i.
func ActionField(i, j int) string   { return fmt.Sprintf("spec.entitlements[%d].actions[%d]", i, j) }
func ResourceField(i, j int) string { return fmt.Sprintf("spec.entitlements[%d].resources[%d]", i, j) }

// ConditionField names condition key of entitlement i.
func ConditionField(i int, key string) string {
	return fmt.Sprintf("spec.entitlements[%d].conditions.%s", i, key)
}

// SameAccess reports, as an error naming the first difference, whether a and
// b grant the same access on platform: every grant of each is covered by a
// grant of the other with the same conditions, as the diff decides coverage.
// The round-trip tests of every target and source use it.
func SameAccess(platform string, a, b []spec.Entitlement) error {
	ga, gb := grants(platform, a), grants(platform, b)
	if g, ok := uncovered(platform, ga, gb); ok {
		return fmt.Errorf("%s is granted by the first and not by the second", g)
	}
	if g, ok := uncovered(platform, gb, ga); ok {
		return fmt.Errorf("%s is granted by the second and not by the first", g)
	}
	return nil
}

func grants(platform string, es []spec.Entitlement) []diffing.Grant {
	w := &spec.Workflow{Spec: spec.Spec{Identity: spec.Identity{Platform: platform}, Entitlements: es}}
	return diffing.Normalize(w)
}

// uncovered returns a grant of in that no grant of by covers.
func uncovered(platform string, in, by []diffing.Grant) (diffing.Grant, bool) {
	foldRes := diffing.FoldResources(platform)
	for _, g := range in {
		act, res := diffing.ParsePattern(g.Action, true), diffing.ParsePattern(g.Resource, foldRes)
		if !slices.ContainsFunc(by, func(h diffing.Grant) bool {
			return h.Conditions == g.Conditions &&
				diffing.ParsePattern(h.Action, true).Covers(act) &&
				diffing.ParsePattern(h.Resource, foldRes).Covers(res)
		}) {
			return g, true
		}
	}
	return diffing.Grant{}, false
}

// Join names an artifact of w: below a directory named after the spec's
// metadata.name, so that a deployer can trace each artifact back to the
// reviewed file.
func Join(w *spec.Workflow, name string) string { return path.Join(w.Metadata.Name, name) }
