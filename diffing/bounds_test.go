package diffing

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

// grid is a spec of n actions × n resources in bucket.
func grid(n int, bucket string) func(*spec.Workflow) {
	var actions, resources []string
	for i := range n {
		actions = append(actions, fmt.Sprintf("s3:Action%d", i))
		resources = append(resources, fmt.Sprintf("arn:aws:s3:::%s/key-%d", bucket, i))
	}
	return grants(actions, resources)
}

// TestComputeWorkIsNearLinear counts the comparisons a diff makes as the
// grants grow: the index must keep them proportional to the grants, where
// comparing every pair would grow with their square.
func TestComputeWorkIsNearLinear(t *testing.T) {
	tests := []struct {
		name       string
		base, head func(n int) []*spec.Workflow
		// perGrant bounds the candidates the index proposes per grant.
		perGrant int
	}{
		{
			name: "renamed",
			base: func(n int) []*spec.Workflow { return []*spec.Workflow{wf(grid(n, "b"))} },
			head: func(n int) []*spec.Workflow { return []*spec.Workflow{wf(grid(n, "b"), named("renamed"))} },
		},
		{
			name:     "every resource replaced",
			base:     func(n int) []*spec.Workflow { return []*spec.Workflow{wf(grid(n, "b"))} },
			head:     func(n int) []*spec.Workflow { return []*spec.Workflow{wf(grid(n, "c"))} },
			perGrant: 2,
		},
		{
			name: "every resource widened",
			base: func(n int) []*spec.Workflow { return []*spec.Workflow{wf(grid(n, "b"))} },
			head: func(n int) []*spec.Workflow {
				return []*spec.Workflow{wf(grid(n, "b"), func(w *spec.Workflow) {
					for i, r := range w.Spec.Entitlements[0].Resources {
						w.Spec.Entitlements[0].Resources[i] = r + "*"
					}
				})}
			},
			perGrant: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{10, 40, 80} {
				d := Compute(tt.base(n), tt.head(n), nil)
				s := d.Stats
				if s.Grants != 2*n*n {
					t.Fatalf("n=%d: Stats.Grants = %d, want %d", n, s.Grants, 2*n*n)
				}
				if s.Candidates > tt.perGrant*s.Grants {
					t.Errorf("n=%d: %d candidates for %d grants, want at most %d per grant", n, s.Candidates, s.Grants, tt.perGrant)
				}
				// Patterns are compared once per pair of distinct patterns
				// (2n of each kind), not once per pair of grants.
				if s.Covers > 4*n {
					t.Errorf("n=%d: %d pattern comparisons, want at most %d", n, s.Covers, 4*n)
				}
				if s.Exhausted {
					t.Errorf("n=%d: the work bound was reached", n)
				}
			}
		})
	}
}

// TestComputeLongPatternIsComparedOnce: a long pattern widened by a trailing
// "*" costs one comparison of its length squared, not one per grant.
func TestComputeLongPatternIsComparedOnce(t *testing.T) {
	long := "arn:aws:s3:::b/" + strings.Repeat("ab", 1000)
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
	base := []*spec.Workflow{wf(grants(actions, []string{long}))}
	head := []*spec.Workflow{wf(grants(actions, []string{long + "*"}))}
	d := Compute(base, head, nil)
	if got := d.Count(GrantWidened); got != 3 {
		t.Errorf("%d widened, want 3: %+v", got, rows(d))
	}
	if d.Stats.Covers > 2 {
		t.Errorf("%d pattern comparisons, want at most 2 (the action once, the resource once)", d.Stats.Covers)
	}
	if max := int64(4 * (len(long) + 2) * (len(long) + 2)); d.Stats.Work > max {
		t.Errorf("work %d, want at most %d", d.Stats.Work, max)
	}
}

// TestComputeWorkBound: input built so that the literal prefixes give the
// index nothing to go on runs into the work bound, stops there, and rates
// every grant it could not decide as a widening: never lower than it would
// rate with unlimited work.
func TestComputeWorkBound(t *testing.T) {
	// Every pair shares its literals ("a"), so neither the prefixes nor the
	// literal runs rule a pair out: each needs the exact search.
	var oldActions, newActions []string
	for i := range 60 {
		oldActions = append(oldActions, "*a"+strings.Repeat("?", i%20)+"*"+strings.Repeat("a", i/20+1)+"*")
		newActions = append(newActions, "*"+strings.Repeat("a", i%10+1)+"*"+strings.Repeat("a?", i/10)+"*")
	}
	base := []*spec.Workflow{wf(grants(oldActions, []string{"arn:aws:s3:::b/*"}))}
	head := []*spec.Workflow{wf(grants(newActions, []string{"arn:aws:s3:::b/*"}))}

	free := Compute(base, head, nil)
	if free.Stats.Exhausted {
		t.Fatalf("the default bound was reached on %d grants", free.Stats.Grants)
	}
	budget := free.Stats.Work / 10
	bounded, err := Options{MaxWork: budget}.Compute(base, head, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := bounded.Stats
	if !s.Exhausted {
		t.Fatalf("the bound of %d was not reached (work %d)", budget, s.Work)
	}
	// One comparison may overshoot the bound, by at most its own budget.
	if limit := budget + 2*searchUnitCost*(1<<20) + searchCallCost; s.Work > limit {
		t.Errorf("work %d, past the bound of %d by more than one comparison", s.Work, budget)
	}
	if s.Candidates >= free.Stats.Candidates {
		t.Errorf("the bounded diff looked at %d candidates, the free one at %d", s.Candidates, free.Stats.Candidates)
	}
	rated := map[string]Risk{}
	for _, c := range free.Changes() {
		if c.Grant != nil && c.Kind != GrantRemoved {
			rated[c.Grant.String()] = c.Risk
		}
	}
	uncompared := 0
	for _, c := range bounded.Changes() {
		if c.Grant == nil || c.Kind == GrantRemoved {
			continue
		}
		if c.Risk < rated[c.Grant.String()] {
			t.Errorf("%s: risk %v under the bound, %v without", c.Grant, c.Risk, rated[c.Grant.String()])
		}
		if strings.HasPrefix(c.Reason, "not compared") {
			uncompared++
			if c.Kind != GrantWidened {
				t.Errorf("%s: %s, want an uncompared grant rated as widened", c.Grant, c.Kind)
			}
		}
	}
	if uncompared == 0 {
		t.Errorf("no grant says it was not compared")
	}
	if bounded.Risk() < free.Risk() {
		t.Errorf("Risk() = %v under the bound, %v without", bounded.Risk(), free.Risk())
	}
}

func TestComputeMaxGrants(t *testing.T) {
	big := wf(grid(40, "b"), named("big"), file("big.yaml"))
	base, head := []*spec.Workflow{wf()}, []*spec.Workflow{wf(), big}
	if _, err := (Options{MaxGrants: 1602}).Compute(base, head, nil); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	_, err := Options{MaxGrants: 1000}.Compute(base, head, nil)
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v, want a *LimitError", err)
	}
	if le.Grants != 1602 || le.Limit != 1000 || le.Largest != big {
		t.Errorf("LimitError{Grants: %d, Limit: %d, Largest: %v}, want 1602, 1000 and big", le.Grants, le.Limit, le.Largest.Metadata.Name)
	}
	want := "the review compares 1602 grants (actions × resources, base and head together), over the limit of 1000"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

// TestComputeListsAtMostMaxListed: a huge diff lists the riskiest changes
// and counts the rest; its risk and counts still cover every change.
func TestComputeListsAtMostMaxListed(t *testing.T) {
	var head []*spec.Workflow
	for i := range 30 {
		head = append(head, wf(grid(5, "b"), named(fmt.Sprintf("id-%02d", i)), identityName(fmt.Sprintf("id-%02d", i)), file(fmt.Sprintf("id-%02d.yaml", i))))
	}
	// One production identity: its changes are the riskiest.
	head = append(head, wf(prod, grid(5, "b"), named("zz-prod"), identityName("zz-prod"), file("zz.yaml")))
	full := Compute(nil, head, nil)
	d, err := Options{MaxListed: 40}.Compute(nil, head, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Changes()); n != 40 {
		t.Errorf("%d changes listed, want 40", n)
	}
	if got, want := len(d.Changes())+d.OmittedCount(), len(full.Changes()); got != want {
		t.Errorf("listed + omitted = %d, want %d", got, want)
	}
	for _, k := range []Kind{IdentityAdded, GrantAdded} {
		if d.Count(k) != full.Count(k) {
			t.Errorf("Count(%s) = %d, want %d", k, d.Count(k), full.Count(k))
		}
	}
	if d.Risk() != full.Risk() || d.Identities[0].Name != "zz-prod" || d.Identities[0].Risk != High {
		t.Errorf("Risk() = %v and first identity %s, want the production identity first", d.Risk(), d.Identities[0].Name)
	}
	for _, c := range d.Changes()[:26] {
		if c.Identity != "zz-prod" {
			t.Errorf("listed %s of %s before the production identity's changes", c.Kind, c.Identity)
		}
	}
	want := []Tally{
		// The first medium identity lists its addition and 13 grants.
		{Kind: IdentityAdded, Risk: Medium, Count: 29},
		{Kind: GrantAdded, Risk: Medium, Count: 30*25 - 13},
	}
	if diff := cmp.Diff(want, d.Omitted); diff != "" {
		t.Errorf("Omitted (-want +got):\n%s", diff)
	}
}

func BenchmarkCompute(b *testing.B) {
	long := "arn:aws:s3:::b/" + strings.Repeat("ab", 1000)
	var wild []string
	for i := range 5000 {
		wild = append(wild, fmt.Sprintf("s%d*", i))
	}
	var hostileOld, hostileNew []string
	for i := range 1000 {
		hostileOld = append(hostileOld, "*a"+strings.Repeat("?", i%200)+"*"+strings.Repeat("a", i/200+1)+"*")
		hostileNew = append(hostileNew, "*"+strings.Repeat("a", i%50+1)+"*"+strings.Repeat("a?", i/50)+"*")
	}
	cases := []struct {
		name       string
		base, head []*spec.Workflow
	}{
		// Built to defeat the index: it runs until the work bound.
		{"1000-hostile-wildcards", []*spec.Workflow{wf(grants(hostileOld, []string{"*"}))}, []*spec.Workflow{wf(grants(hostileNew, []string{"*"}))}},
		{"grid120-renamed", []*spec.Workflow{wf(grid(120, "b"))}, []*spec.Workflow{wf(grid(120, "b"), named("renamed"))}},
		{"grid120-resources-replaced", []*spec.Workflow{wf(grid(120, "b"))}, []*spec.Workflow{wf(grid(120, "c"))}},
		{"long-pattern-widened", []*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{long}))}, []*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{long + "*"}))}},
		{"5000-wildcard-actions-new", nil, []*spec.Workflow{wf(grants(wild, []string{"*"}))}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Compute(c.base, c.head, nil)
			}
		})
	}
}
