package diffing

import (
	"fmt"
	"strings"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
	"github.com/nhigate/nhigate/spec"
)

// Risk is how much scrutiny a change deserves.
type Risk int

// Risk levels, in increasing order. None is the risk of an empty diff.
const (
	None Risk = iota
	Low
	Medium
	High
	Critical
)

var riskNames = []string{"none", "low", "medium", "high", "critical"}

func (r Risk) String() string {
	if r < None || r > Critical {
		return fmt.Sprintf("Risk(%d)", int(r))
	}
	return riskNames[r]
}

// MarshalText writes the level's name, so JSON reports read "high", not 3.
func (r Risk) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a level's name.
func (r *Risk) UnmarshalText(b []byte) error {
	for i, n := range riskNames {
		if n == strings.ToLower(string(b)) {
			*r = Risk(i)
			return nil
		}
	}
	return fmt.Errorf("unknown risk level %q", b)
}

// rating is a risk with the reason a reviewer reads.
type rating struct {
	risk   Risk
	reason string
}

// The rules below are the whole risk model. Removals and reductions are low,
// so revocation pull requests stay fast; anything that adds reach is at
// least medium, and more in production, for delegated automation, or with
// wildcards.

func rateIdentityAdded(w *spec.Workflow) rating {
	switch {
	case production(w):
		return rating{High, "new identity in production"}
	case w.Spec.Identity.Delegated():
		return rating{High, "new identity for delegated automation (" + w.Spec.Identity.Consumer + ")"}
	}
	return rating{Medium, "new identity"}
}

// reach says how much g grants: everything (a pattern with no literal
// text), or else why it is broad by the catalog of sensitive actions and
// resource types, the judgement of NHI-ENT-001/002 (package catalog): it
// covers a sensitive action, every action of a service, every resource of
// a type, or every account, or it pairs a sensitive action with a whole
// scope or type (catalog.JudgeGrant). why is "" when g is neither.
func reach(w *spec.Workflow, g Grant) (all bool, why string) {
	if ParsePattern(g.Action, true).Breadth() == BreadthAll || ParsePattern(g.Resource, false).Breadth() == BreadthAll {
		return true, ""
	}
	platform := w.Spec.Identity.Platform
	if v := catalog.Judge(platform, catalog.Action, g.Action); v.Broad() {
		return false, fmt.Sprintf("%q %s", g.Action, v.Why)
	}
	if v := catalog.Judge(platform, catalog.Resource, g.Resource); v.Broad() {
		return false, fmt.Sprintf("%q %s", g.Resource, v.Why)
	}
	if v := catalog.JudgeGrant(platform, g.Action, g.Resource); v.Broad() {
		return false, fmt.Sprintf("%q on %q %s", g.Action, g.Resource, v.Why)
	}
	return false, ""
}

func rateAdded(w *spec.Workflow, g Grant) rating {
	all, why := reach(w, g)
	switch {
	case all:
		return rating{Critical, "grants everything on " + allOf(g)}
	case why != "" && production(w):
		return rating{Critical, "broad in production: " + why}
	case production(w):
		return rating{High, "new access in production"}
	case w.Spec.Identity.Delegated():
		return rating{High, "new access for delegated automation (" + w.Spec.Identity.Consumer + ")"}
	case why != "":
		return rating{High, "new broad access: " + why}
	}
	return rating{Medium, "new access"}
}

func allOf(g Grant) string {
	if ParsePattern(g.Action, true).Breadth() == BreadthAll {
		return "every action"
	}
	return "every resource"
}

func rateWidened(w *spec.Workflow, g Grant) rating {
	all, why := reach(w, g)
	switch {
	case all:
		return rating{Critical, "widened to everything on " + allOf(g)}
	case production(w) && why != "":
		return rating{Critical, "widened to a broad pattern in production: " + why}
	case production(w):
		return rating{Critical, "access widened in production"}
	}
	return rating{High, "access widened"}
}

func rateEnvironment(to string) rating {
	if to == "production" {
		return rating{High, "moves into production"}
	}
	return rating{Medium, "moves to another environment"}
}

func rateConsumer(head *spec.Workflow) rating {
	if head.Spec.Identity.Delegated() {
		return rating{High, "now used by delegated automation (" + head.Spec.Identity.Consumer + ")"}
	}
	return rating{Medium, "used by someone else"}
}

// longer rates a duration that may have grown.
func longer(old, new spec.Duration, head *spec.Workflow, grew, shrank string) rating {
	if !new.IsSet() && head.Spec.Credential.Kind == "ephemeral" {
		return rating{Low, "no longer needed for an ephemeral credential"}
	}
	switch {
	case new.IsSet() && !old.IsSet():
		return rating{Low, "now set"}
	case new.IsSet() && new.Duration <= old.Duration:
		return rating{Low, shrank}
	}
	if production(head) {
		return rating{High, grew + " in production"}
	}
	return rating{Medium, grew}
}

func rateFlag(old, new *bool) rating {
	if old != nil && *old && (new == nil || !*new) {
		return rating{High, "no longer revoked when the task completes"}
	}
	return rating{Low, "revoked when the task completes"}
}

func fewer(weaker bool, weakerReason, strongerReason string) rating {
	if weaker {
		return rating{High, weakerReason}
	}
	return rating{Low, strongerReason}
}
