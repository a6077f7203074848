package diffing

import (
	"fmt"
	"strings"

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

func breadth(g Grant) Breadth {
	return max(ParsePattern(g.Action, true).Breadth(), ParsePattern(g.Resource, false).Breadth())
}

func rateAdded(w *spec.Workflow, g Grant) rating {
	b := breadth(g)
	switch {
	case b == BreadthAll:
		return rating{Critical, "grants everything on " + allOf(g)}
	case b >= BreadthService && production(w):
		return rating{Critical, "service-wide wildcard in production"}
	case production(w):
		return rating{High, "new access in production"}
	case w.Spec.Identity.Delegated():
		return rating{High, "new access for delegated automation (" + w.Spec.Identity.Consumer + ")"}
	case b >= BreadthService:
		return rating{High, "new service-wide wildcard"}
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
	b := breadth(g)
	switch {
	case b == BreadthAll:
		return rating{Critical, "widened to everything on " + allOf(g)}
	case production(w) && b >= BreadthService:
		return rating{Critical, "widened to a service-wide wildcard in production"}
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
