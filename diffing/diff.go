// Package diffing computes what access changes between two revisions of a
// policy repo: it normalizes workflows into grants, compares them per
// principal (platform and identity) across every workflow that holds it,
// classifies every change (added, widened, narrowed, removed, and changes of
// identity attributes such as TTL or expiry), and gives each change a risk
// level with its reason. It is pure: no I/O, no clock.
package diffing

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/spec"
)

// Grant is one action on one resource under conditions: the unit in which
// access is compared.
type Grant struct {
	Action     string `json:"action"`
	Resource   string `json:"resource"`
	Conditions string `json:"conditions,omitempty"` // canonical JSON; "" for none
}

func (g Grant) String() string {
	s := g.Action + " on " + g.Resource
	if g.Conditions != "" {
		s += " if " + g.Conditions
	}
	return s
}

// Normalize expands a workflow's entitlements into distinct grants, in the
// order they are written.
func Normalize(w *spec.Workflow) []Grant {
	var out []Grant
	seen := map[Grant]bool{}
	for _, e := range w.Spec.Entitlements {
		cond := canonical(e.Conditions)
		for _, a := range e.Actions {
			for _, r := range e.Resources {
				g := Grant{Action: a, Resource: resourceName(w, r), Conditions: cond}
				if !seen[g] {
					seen[g] = true
					out = append(out, g)
				}
			}
		}
	}
	return out
}

// resourceName is a resource as the platform reads it: Vault drops a
// leading "/" from policy paths, so "/sys/*" is "sys/*" and must compare
// as it (the catalog judges it the same way).
func resourceName(w *spec.Workflow, r string) string {
	if w.Spec.Identity.Platform == "vault" {
		return strings.TrimLeft(r, "/")
	}
	return r
}

func canonical(conditions map[string]any) string {
	if len(conditions) == 0 {
		return ""
	}
	b, err := json.Marshal(conditions) // map keys come out sorted
	if err != nil {
		// Conditions hold only decoded YAML values, which always marshal.
		panic(fmt.Sprintf("diffing: conditions do not marshal: %v", err))
	}
	return string(b)
}

// Kind names a change.
type Kind string

// The kinds of change, in the order a report lists them.
const (
	Governance         Kind = "governance-changed"
	IdentityAdded      Kind = "identity-added"
	IdentityRemoved    Kind = "identity-removed"
	GrantAdded         Kind = "grant-added"
	GrantWidened       Kind = "grant-widened"
	GrantNarrowed      Kind = "grant-narrowed"
	GrantRemoved       Kind = "grant-removed"
	EnvironmentChanged Kind = "environment-changed"
	ConsumerChanged    Kind = "consumer-changed"
	IdentityChanged    Kind = "identity-changed"
	CredentialChanged  Kind = "credential-kind-changed"
	TTLChanged         Kind = "ttl-changed"
	RotationChanged    Kind = "rotation-changed"
	ExpiryChanged      Kind = "expiry-changed"
	RevocationChanged  Kind = "revocation-changed"
	ApprovalsChanged   Kind = "approvals-changed"
	ExceptionsChanged  Kind = "exceptions-changed"
	OwnerChanged       Kind = "owner-changed"
	ProvenanceChanged  Kind = "provenance-changed"
)

var kindOrder = []Kind{Governance, IdentityAdded, IdentityRemoved, GrantAdded, GrantWidened, GrantNarrowed, GrantRemoved,
	EnvironmentChanged, ConsumerChanged, IdentityChanged, CredentialChanged, TTLChanged, RotationChanged, ExpiryChanged,
	RevocationChanged, ApprovalsChanged, ExceptionsChanged, OwnerChanged, ProvenanceChanged}

// Change is one classified difference.
type Change struct {
	Kind Kind `json:"kind"`
	// Identity is the workflow's metadata.name; "" for governance changes.
	Identity string `json:"identity,omitempty"`
	// Grant is set for grant changes; From lists the grants a widened or
	// narrowed grant replaces, at most MaxFrom of them; FromMore says there
	// are more.
	Grant    *Grant  `json:"grant,omitempty"`
	From     []Grant `json:"from,omitempty"`
	FromMore bool    `json:"fromMore,omitempty"`
	// Field, Old and New describe attribute changes ("spec.credential.ttl",
	// "1h", "4h").
	Field string `json:"field,omitempty"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`

	Risk   Risk   `json:"risk"`
	Reason string `json:"reason"`

	// Where the change can be seen: the head file, or the base file for
	// removals, with the line of the field.
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
}

// Identity is one workflow (one metadata.name) as it stands on either side
// of the diff, with the changes shown under it. Access is compared per
// principal across every workflow, so a change sits under the workflow that
// now holds the grant, or held it for a removal.
type Identity struct {
	Name string `json:"name"`
	// Principal is what the platform authorises: see Principal.
	Principal  string         `json:"principal"`
	Base, Head *spec.Workflow `json:"-"`
	Changes    []Change       `json:"changes"`
	// Omitted counts the changes a bounded report does not list; Risk
	// includes them.
	Omitted int  `json:"omitted,omitempty"`
	Risk    Risk `json:"risk"`
}

// Current is the newest version of the workflow: head, or base if removed.
func (id *Identity) Current() *spec.Workflow {
	if id.Head != nil {
		return id.Head
	}
	return id.Base
}

// Diff is every change between two revisions.
type Diff struct {
	Identities []*Identity `json:"identities"` // changed identities, riskiest first
	Governance []Change    `json:"governance"` // changes to the rules themselves
	// Omitted counts the changes left out of the identities' lists to keep
	// the report bounded (the riskiest are listed). Risk and Count include
	// them.
	Omitted []Tally `json:"omitted,omitempty"`
	// Uncompared says why no grant was compared (the review is over a
	// limit); "" when the diff is whole. Such a diff is rated critical:
	// what it did not look at may be anything.
	Uncompared string `json:"uncompared,omitempty"`
	// Stats count the work the diff did.
	Stats Stats `json:"-"`
}

// Tally is how many changes of one kind and risk a report leaves out.
type Tally struct {
	Kind  Kind `json:"kind"`
	Risk  Risk `json:"risk"`
	Count int  `json:"count"`
}

// Risk is the highest risk of any change, listed or not.
func (d *Diff) Risk() Risk {
	r := None
	if d.Uncompared != "" {
		r = Critical
	}
	for _, c := range d.Governance {
		r = max(r, c.Risk)
	}
	for _, id := range d.Identities {
		r = max(r, id.Risk)
	}
	for _, t := range d.Omitted {
		r = max(r, t.Risk)
	}
	return r
}

// Changes lists every change, governance first.
func (d *Diff) Changes() []Change {
	out := slices.Clone(d.Governance)
	for _, id := range d.Identities {
		out = append(out, id.Changes...)
	}
	return out
}

// Count returns how many changes are of kind k, listed or not.
func (d *Diff) Count(k Kind) int {
	n := 0
	for _, c := range d.Changes() {
		if c.Kind == k {
			n++
		}
	}
	for _, t := range d.Omitted {
		if t.Kind == k {
			n += t.Count
		}
	}
	return n
}

// OmittedCount is the number of changes the report leaves out.
func (d *Diff) OmittedCount() int {
	n := 0
	for _, t := range d.Omitted {
		n += t.Count
	}
	return n
}

// change fills in the identity, file and line of c from the workflow w and
// the field path.
func change(w *spec.Workflow, field string, c Change, r rating) Change {
	c.Identity = w.Metadata.Name
	c.File = w.Source.File
	c.Line = w.Source.Position(field).Line
	c.Risk, c.Reason = r.risk, r.reason
	return c
}

// grantFields maps each grant of w to where its action is written, for
// annotations: the first place, in one pass over the entitlements.
func grantFields(w *spec.Workflow) map[Grant]string {
	out := map[Grant]string{}
	for i, e := range w.Spec.Entitlements {
		cond := canonical(e.Conditions)
		for j, a := range e.Actions {
			field := ""
			for _, r := range e.Resources {
				g := Grant{Action: a, Resource: resourceName(w, r), Conditions: cond}
				if _, ok := out[g]; !ok {
					if field == "" {
						field = fmt.Sprintf("spec.entitlements[%d].actions[%d]", i, j)
					}
					out[g] = field
				}
			}
		}
	}
	return out
}

func compareAttributes(base, head *spec.Workflow) []Change {
	var out []Change
	add := func(kind Kind, field, old, new string, r rating) {
		if old == new {
			return
		}
		out = append(out, change(head, field, Change{Kind: kind, Field: field, Old: old, New: new}, r))
	}
	b, h := base.Spec, head.Spec

	add(EnvironmentChanged, "spec.environment", b.Environment, h.Environment, rateEnvironment(head))
	add(ConsumerChanged, "spec.identity.consumer", b.Identity.Consumer, h.Identity.Consumer, rateConsumer(head))
	// The identity's name and platform are the principal, compared by
	// Compute; only its kind is an attribute.
	add(IdentityChanged, "spec.identity.type", b.Identity.Type, h.Identity.Type, rating{Medium, "the kind of identity changes"})

	switch {
	case b.Credential.Kind != "static" && h.Credential.Kind == "static":
		r := rating{High, "a static credential is introduced"}
		if production(head) {
			r = rating{Critical, "a static credential is introduced in production"}
		}
		add(CredentialChanged, "spec.credential.kind", b.Credential.Kind, h.Credential.Kind, r)
	default:
		add(CredentialChanged, "spec.credential.kind", b.Credential.Kind, h.Credential.Kind, rating{Low, "credential becomes short-lived"})
	}
	add(TTLChanged, "spec.credential.ttl", b.Credential.TTL.Text, h.Credential.TTL.Text,
		longer(b.Credential.TTL, h.Credential.TTL, head, "credential lifetime increased", "credential lifetime reduced"))
	add(RotationChanged, "spec.credential.rotation", b.Credential.Rotation.Text, h.Credential.Rotation.Text,
		longer(b.Credential.Rotation, h.Credential.Rotation, head, "rotation period lengthened", "rotation period shortened"))

	switch {
	case b.ExpiresAt.IsSet() && !h.ExpiresAt.IsSet():
		add(ExpiryChanged, "spec.expiresAt", b.ExpiresAt.Text, "", rating{Critical, "the grant no longer expires"})
	case !b.ExpiresAt.IsSet() || h.ExpiresAt.After(b.ExpiresAt.Time):
		r := rating{Medium, "the grant lasts longer"}
		if production(head) {
			r = rating{High, "a production grant lasts longer"}
		}
		if !b.ExpiresAt.IsSet() {
			r = rating{Low, "the grant now expires"}
		}
		add(ExpiryChanged, "spec.expiresAt", b.ExpiresAt.Text, h.ExpiresAt.Text, r)
	default:
		if !h.ExpiresAt.Equal(b.ExpiresAt.Time) {
			add(ExpiryChanged, "spec.expiresAt", b.ExpiresAt.Text, h.ExpiresAt.Text, rating{Low, "the grant ends sooner"})
		}
	}

	add(RevocationChanged, "spec.revocation.onCompletion", boolText(b.Revocation.OnCompletion), boolText(h.Revocation.OnCompletion),
		rateFlag(b.Revocation.OnCompletion, h.Revocation.OnCompletion))
	switch bt, ht := b.Revocation.OnTimeout, h.Revocation.OnTimeout; {
	case bt.IsSet() && !ht.IsSet():
		add(RevocationChanged, "spec.revocation.onTimeout", bt.Text, "", rating{High, "revocation on timeout removed"})
	case bt.IsSet() && ht.Duration > bt.Duration:
		add(RevocationChanged, "spec.revocation.onTimeout", bt.Text, ht.Text, rating{High, "revocation happens later"})
	default:
		add(RevocationChanged, "spec.revocation.onTimeout", bt.Text, ht.Text, rating{Low, "revocation happens sooner"})
	}

	add(ApprovalsChanged, "spec.approvals.required", strings.Join(b.Approvals.Required, ", "), strings.Join(h.Approvals.Required, ", "),
		fewer(len(missing(b.Approvals.Required, h.Approvals.Required)) > 0, "an approver is no longer required", "approvers added"))
	add(ApprovalsChanged, "spec.approvals.minApprovals", intText(b.Approvals.MinApprovals), intText(h.Approvals.MinApprovals),
		fewer(h.Approvals.MinApprovals < b.Approvals.MinApprovals, "fewer approvals required", "more approvals required"))

	be, he := exceptionIDs(b.Exceptions), exceptionIDs(h.Exceptions)
	add(ExceptionsChanged, "spec.exceptions", strings.Join(be, ", "), strings.Join(he, ", "),
		fewer(len(missing(he, be)) > 0, "a policy exception is added or extended", "a policy exception is removed"))

	add(OwnerChanged, "metadata.owner", base.Metadata.Owner, head.Metadata.Owner, rating{Medium, "accountability moves to another owner"})
	add(OwnerChanged, "metadata.requester", base.Metadata.Requester, head.Metadata.Requester, rating{Low, "requested by someone else"})
	add(ProvenanceChanged, "metadata.provenance", provenance(base), provenance(head), rating{Low, "regenerated from another prompt or generator"})
	return out
}

// production reports whether w's environment is production: by name, or as
// the repo's config marks it (spec.Workflow.Production, set by the review).
func production(w *spec.Workflow) bool { return w.Production || w.Spec.Environment == "production" }

func boolText(b *bool) string {
	if b == nil {
		return ""
	}
	return fmt.Sprint(*b)
}

func intText(i int) string {
	if i == 0 {
		return ""
	}
	return fmt.Sprint(i)
}

// missing lists the elements of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func exceptionIDs(es []spec.Exception) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s until %s", e.Rule, e.ExpiresAt.Text)
	}
	return out
}

func provenance(w *spec.Workflow) string {
	p := w.Metadata.Provenance
	if p.PromptSHA256 == "" && p.Generator == "" {
		return ""
	}
	h := p.PromptSHA256
	if len(h) > 8 {
		h = h[:8]
	}
	return strings.TrimSpace(p.Generator + " prompt " + h)
}
