package diffing

import (
	"fmt"
	"strings"
	"sync"

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
	if v := judge(platform, catalog.Action, g.Action); v.Broad() {
		return false, fmt.Sprintf("%q %s", g.Action, v.Why)
	}
	if v := judge(platform, catalog.Resource, g.Resource); v.Broad() {
		return false, fmt.Sprintf("%q %s", g.Resource, v.Why)
	}
	if v := catalog.JudgeGrant(platform, g.Action, g.Resource); v.Broad() {
		return false, fmt.Sprintf("%q on %q %s", g.Action, g.Resource, v.Why)
	}
	return false, ""
}

// judgeKey is one judgement of the catalog.
type judgeKey struct {
	platform string
	kind     catalog.Kind
	pattern  string
}

// judgements remembers catalog judgements: a review judges each pattern
// once, however many grants it is part of (100 actions × 100 resources are
// 10,000 grants but 200 judgements). It is shared by concurrent diffs and
// holds at most maxJudgements entries, so it is emptied when full.
var judgements struct {
	sync.Mutex
	m map[judgeKey]catalog.Verdict
}

const maxJudgements = 4096

// judge is catalog.Judge, remembered.
func judge(platform string, kind catalog.Kind, pattern string) catalog.Verdict {
	k := judgeKey{platform, kind, pattern}
	judgements.Lock()
	v, ok := judgements.m[k]
	judgements.Unlock()
	if ok {
		return v
	}
	v = catalog.Judge(platform, kind, pattern)
	judgements.Lock()
	if judgements.m == nil || len(judgements.m) >= maxJudgements {
		judgements.m = map[judgeKey]catalog.Verdict{}
	}
	judgements.m[k] = v
	judgements.Unlock()
	return v
}

// judgeCost is the work of judging pattern against the catalog, in the
// diff's work units (about a nanosecond): the catalog matches the pattern
// against a probe of every resource type and sensitive action, and a
// wildcard costs far more than a literal there.
func judgeCost(pattern string) int64 {
	return judgeCallCost + judgeByteCost*int64(len(pattern)) + judgeWildCost*int64(strings.Count(pattern, "*")+strings.Count(pattern, "?"))
}

const (
	judgeCallCost = 8_000
	judgeByteCost = 120
	judgeWildCost = 400
)

// judged charges the catalog judgements g needs, each pattern once per
// diff, to the work bound. It reports false when the bound cannot pay for
// them: the grant is then rated as broad without being judged.
func (r *run) judged(w *spec.Workflow, g Grant) bool {
	keys := [2]judgeKey{{w.Spec.Identity.Platform, catalog.Action, g.Action}, {w.Spec.Identity.Platform, catalog.Resource, g.Resource}}
	var cost int64
	for _, k := range keys {
		if !r.judgedKeys[k] {
			cost += judgeCost(k.pattern)
		}
	}
	if cost == 0 {
		return true
	}
	if !r.c.charge(cost) {
		return false
	}
	r.c.stats.Judgements++
	for _, k := range keys {
		r.judgedKeys[k] = true
	}
	return true
}

// unjudged rates a grant the work bound left no room to judge as broad, or
// as everything when it is (a test linear in the patterns' length): never
// lower than the judgement would rate it, added or widened.
func unjudged(w *spec.Workflow, g Grant) rating {
	if ParsePattern(g.Action, true).Breadth() == BreadthAll || ParsePattern(g.Resource, false).Breadth() == BreadthAll {
		return rating{Critical, "grants everything on " + allOf(g)}
	}
	reason := "not judged against the catalog: the review's work bound ran out, so it is rated as broad"
	if production(w) {
		return rating{Critical, reason + " in production"}
	}
	return rating{High, reason}
}

// rateAdded is rateAdded with the judgement's work counted.
func (r *run) rateAdded(w *spec.Workflow, g Grant) rating {
	if !r.judged(w, g) {
		return unjudged(w, g)
	}
	return rateAdded(w, g)
}

// rateWidened is rateWidened with the judgement's work counted.
func (r *run) rateWidened(w *spec.Workflow, g Grant) rating {
	if !r.judged(w, g) {
		return unjudged(w, g)
	}
	return rateWidened(w, g)
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

func rateEnvironment(head *spec.Workflow) rating {
	if production(head) {
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
