package diffing

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/spec"
)

func azure(w *spec.Workflow) { w.Spec.Identity.Platform = "azure" }

// TestComputeUndecidedCoverageRatesHigher: patterns built so that the
// coverage search runs out of its budget never turn a widening into an
// addition. The head pattern truly covers the base one; the search cannot
// tell, and the answer that rates higher is taken.
func TestComputeUndecidedCoverageRatesHigher(t *testing.T) {
	old := "arn:aws:s3:::data/" + strings.Repeat("*x", 1000) + "*.csv"
	wide := "arn:aws:s3:::data/" + strings.Repeat("?", 1000) + "*.csv"
	p, q := ParsePattern(wide, false), ParsePattern(old, false)
	if _, decided := coversSearch(p.toks, q.toks, searchBudget(p.toks, q.toks)); decided {
		t.Fatal("the search decided the case it is meant not to decide; pick harder patterns")
	}
	tests := []struct {
		name string
		mods []func(*spec.Workflow)
		want Risk
	}{
		{"staging", nil, High},
		{"production", []func(*spec.Workflow){prod}, Critical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := []*spec.Workflow{wf(append(tt.mods, grants([]string{"s3:GetObject"}, []string{old}))...)}
			head := []*spec.Workflow{wf(append(tt.mods, grants([]string{"s3:GetObject"}, []string{wide}))...)}
			d := Compute(base, head, nil)
			if d.Stats.Undecided == 0 {
				t.Errorf("no comparison was undecided: %+v", d.Stats)
			}
			if d.Count(GrantWidened) != 1 || d.Count(GrantAdded) != 0 {
				t.Errorf("want one widening: %+v", rows(d))
			}
			if d.Risk() != tt.want {
				t.Errorf("Risk() = %v, want %v", d.Risk(), tt.want)
			}
		})
	}
}

// TestComputeOverlapIsWidening: a head grant that shares strings with a base
// grant's reach without covering it extends that reach, however the widening
// is split; grants that share no string stay additions.
func TestComputeOverlapIsWidening(t *testing.T) {
	reports := "arn:aws:s3:::data/reports/*"
	var pieces []string
	for _, c := range "abcdefghijklmnopqrstuvwxyz0123456789" {
		pieces = append(pieces, "arn:aws:s3:::data/*"+string(c))
	}
	tests := []struct {
		name            string
		base, head      []string
		actions         []string
		widened, added  int
		risk            Risk
		production      bool
		fromFirstWidens string
	}{
		{name: "split into suffix pieces, production", base: []string{reports}, head: append([]string{reports}, pieces...),
			widened: len(pieces), risk: Critical, production: true},
		{name: "split into suffix pieces, staging", base: []string{reports}, head: append([]string{reports}, pieces...),
			widened: len(pieces), risk: High},
		{name: "one overlapping piece", base: []string{"arn:aws:s3:::data/*.csv"}, head: []string{"arn:aws:s3:::data/*.csv", "arn:aws:s3:::data/2026/*"},
			widened: 1, risk: Critical, production: true},
		{name: "disjoint prefix", base: []string{reports}, head: []string{reports, "arn:aws:s3:::logs/*"},
			added: 1, risk: High, production: true},
		{name: "disjoint suffix", base: []string{"arn:aws:s3:::data/*.csv"}, head: []string{"arn:aws:s3:::data/*.csv", "arn:aws:s3:::data/*.json"},
			added: 1, risk: High, production: true},
		{name: "disjoint by a literal in the middle", base: []string{"arn:aws:s3:::data/a?c/*"}, head: []string{"arn:aws:s3:::data/a?c/*", "arn:aws:s3:::data/?x?d/*"},
			added: 1, risk: Medium},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mods []func(*spec.Workflow)
			if tt.production {
				mods = append(mods, prod)
			}
			base := []*spec.Workflow{wf(append(mods, grants([]string{"s3:GetObject"}, tt.base))...)}
			head := []*spec.Workflow{wf(append(mods, grants([]string{"s3:GetObject"}, tt.head))...)}
			d := Compute(base, head, nil)
			if d.Count(GrantWidened) != tt.widened || d.Count(GrantAdded) != tt.added {
				t.Errorf("%d widened and %d added, want %d and %d: %+v", d.Count(GrantWidened), d.Count(GrantAdded), tt.widened, tt.added, rows(d))
			}
			if d.Risk() != tt.risk {
				t.Errorf("Risk() = %v, want %v", d.Risk(), tt.risk)
			}
			for _, c := range d.Changes() {
				if c.Kind == GrantWidened && (len(c.From) == 0 || !strings.HasPrefix(c.Reason, "overlaps ")) {
					t.Errorf("%s: from %v, reason %q; want the overlapped grant named", c.Grant, c.From, c.Reason)
				}
			}
		})
	}
	// Different actions share no string: a new action on the same
	// resources is an addition.
	d := Compute([]*spec.Workflow{wf(grants([]string{"s3:Get*"}, []string{reports}))}, []*spec.Workflow{wf(grants([]string{"s3:Get*", "s3:Put*"}, []string{reports}))}, nil)
	if d.Count(GrantAdded) != 1 || d.Count(GrantWidened) != 0 {
		t.Errorf("s3:Put* next to s3:Get*: %+v", rows(d))
	}
}

// TestIntersects: the product search agrees with matching a witness.
func TestIntersects(t *testing.T) {
	tests := []struct {
		p, q string
		want bool
	}{
		{"a*", "*b", true},
		{"a*", "b*", false},
		{"*a", "*b", false},
		{"a?c", "?b?", true},
		{"a?c", "?b?d", false},
		{"data/reports/*", "data/*a", true},
		{"data/*.csv", "data/*.json", false},
		{"*x*x*x", "??", false},
		{"*x*x*x", "???", true},
		{"", "*", true},
		{"", "?", false},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"a*b*c", "*c*b*a*", true}, // "acbac"
		{"a*b", "b*a", false},
		{"a*b*c", "a*c*b*c", true},
	}
	for _, tt := range tests {
		p, q := parseTokens(tt.p, false), parseTokens(tt.q, false)
		got, work := intersects(p, q)
		if got != tt.want {
			t.Errorf("intersects(%q, %q) = %v, want %v", tt.p, tt.q, got, tt.want)
		}
		if back, _ := intersects(q, p); back != got {
			t.Errorf("intersects(%q, %q) = %v but the other way %v", tt.p, tt.q, got, back)
		}
		if max := int64(len(p)+1) * int64(len(q)+1); work > max {
			t.Errorf("intersects(%q, %q): work %d over %d", tt.p, tt.q, work, max)
		}
	}
}

// TestComputeJudgesEachPatternOnce: the catalog judges each pattern once per
// diff, however many grants it is part of, and the judgement's work counts
// against the work bound; a grant the bound leaves unjudged is rated broad.
func TestComputeJudgesEachPatternOnce(t *testing.T) {
	var actions, resources []string
	for i := range 40 {
		actions = append(actions, fmt.Sprintf("svc:Act%d", i))
		resources = append(resources, strings.Repeat("?", 500)+fmt.Sprintf("Q%d", i))
	}
	head := []*spec.Workflow{wf(grants(actions, resources), func(w *spec.Workflow) { w.Spec.Identity.Platform = "generic" })}
	d := Compute(nil, head, nil)
	if d.Count(GrantAdded) != 1600 {
		t.Fatalf("%d added, want 1600", d.Count(GrantAdded))
	}
	var want int64
	for _, p := range append(actions, resources...) {
		want += judgeCost(p)
	}
	if d.Stats.Work < want {
		t.Errorf("work %d, want at least the %d the 80 judgements cost", d.Stats.Work, want)
	}
	if d.Stats.Work > 2*want {
		t.Errorf("work %d, want about %d: each pattern judged once, not per grant", d.Stats.Work, want)
	}
	bounded, err := Options{MaxWork: want / 2}.Compute(nil, head, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bounded.Stats.Exhausted {
		t.Fatalf("the bound of %d was not reached: %+v", want/2, bounded.Stats)
	}
	unjudgedN := 0
	for _, c := range bounded.Changes() {
		if c.Grant == nil {
			continue
		}
		if c.Risk < High {
			t.Errorf("%s: %v under the bound; want at least high", c.Grant, c.Risk)
		}
		if strings.HasPrefix(c.Reason, "not judged") {
			unjudgedN++
		}
	}
	if unjudgedN == 0 {
		t.Errorf("no grant says it was not judged")
	}
	// Unjudged, a grant of everything is still critical outside
	// production, as judged.
	if r := unjudged(wf(), Grant{Action: "*", Resource: "arn:aws:s3:::b/x"}); r.risk != Critical {
		t.Errorf("unjudged *: %v", r.risk)
	}
	if r := unjudged(wf(prod), Grant{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x"}); r.risk != Critical {
		t.Errorf("unjudged in production: %v", r.risk)
	}
}

// TestComputeAzureFoldsCase: Azure resource IDs are case-insensitive, so a
// differently spelled ID is the same resource, and a pattern in other case
// still widens the one it covers.
func TestComputeAzureFoldsCase(t *testing.T) {
	rg := "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
	tests := []struct {
		name       string
		base, head string
		want       []Kind
	}{
		{"wider in other case", rg, "/Subscriptions/s/resourcegroups/rg/*", []Kind{GrantWidened}},
		{"same in other case", rg, strings.ToUpper(rg), []Kind{GrantNarrowed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			act := []string{"Microsoft.Storage/storageAccounts/read"}
			d := Compute([]*spec.Workflow{wf(azure, grants(act, []string{tt.base}))}, []*spec.Workflow{wf(azure, grants(act, []string{tt.head}))}, nil)
			var got []Kind
			for _, c := range d.Changes() {
				got = append(got, c.Kind)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("kinds (-want +got):\n%s\n%+v", diff, rows(d))
			}
		})
	}
	// Elsewhere case tells resources apart.
	d := Compute([]*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::b/a"}))}, []*spec.Workflow{wf(grants([]string{"s3:GetObject"}, []string{"arn:aws:s3:::b/A"}))}, nil)
	if d.Count(GrantAdded) != 1 || d.Count(GrantRemoved) != 1 {
		t.Errorf("S3 keys in other case: %+v", rows(d))
	}
}

// TestWithheldIsCritical: a review over the grant limit compares nothing
// and is rated critical, never "none".
func TestWithheldIsCritical(t *testing.T) {
	d := Withheld(nil, "over the limit")
	if d.Risk() != Critical || d.Uncompared != "over the limit" {
		t.Errorf("Risk() = %v, Uncompared %q", d.Risk(), d.Uncompared)
	}
	if d := Compute(nil, nil, nil); d.Risk() != None {
		t.Errorf("an empty diff: Risk() = %v", d.Risk())
	}
}

// TestIntersectsAgreesWithWitnesses checks intersects against every string
// up to the length a witness needs, for every pair of short patterns.
func TestIntersectsAgreesWithWitnesses(t *testing.T) {
	var pats []string
	var grow func(s string)
	grow = func(s string) {
		pats = append(pats, s)
		if len(s) < 3 {
			for _, c := range "ab*?" {
				grow(s + string(c))
			}
		}
	}
	grow("")
	var strs []string
	var gen func(s string)
	gen = func(s string) {
		strs = append(strs, s)
		if len(s) < 6 {
			gen(s + "a")
			gen(s + "b")
		}
	}
	gen("")
	for _, a := range pats {
		pa := ParsePattern(a, false)
		for _, b := range pats {
			pb := ParsePattern(b, false)
			want := false
			for _, s := range strs {
				if pa.Match(s) && pb.Match(s) {
					want = true
					break
				}
			}
			if got, _ := intersects(pa.toks, pb.toks); got != want {
				t.Errorf("intersects(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}

// TestComputeVaultLeadingSlash: Vault drops a leading "/" from policy
// paths, so "/secret/data/*" widens "secret/data/payments/ci".
func TestComputeVaultLeadingSlash(t *testing.T) {
	vault := func(w *spec.Workflow) { w.Spec.Identity.Platform = "vault" }
	act := []string{"read"}
	d := Compute([]*spec.Workflow{wf(vault, grants(act, []string{"secret/data/payments/ci"}))},
		[]*spec.Workflow{wf(vault, grants(act, []string{"/secret/data/*"}))}, nil)
	var got []Kind
	for _, c := range d.Changes() {
		got = append(got, c.Kind)
	}
	if diff := cmp.Diff([]Kind{GrantWidened}, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s\n%+v", diff, rows(d))
	}
}

// TestComputeVaultPlusWidens: Vault's "+" matches any one path segment, so
// "secret/data/payments/+" widens "secret/data/payments/ci".
func TestComputeVaultPlusWidens(t *testing.T) {
	vault := func(w *spec.Workflow) { w.Spec.Identity.Platform = "vault" }
	act := []string{"read"}
	d := Compute([]*spec.Workflow{wf(vault, grants(act, []string{"secret/data/payments/ci"}))},
		[]*spec.Workflow{wf(vault, grants(act, []string{"secret/data/payments/ci", "secret/data/payments/+"}))}, nil)
	var got []Kind
	for _, c := range d.Changes() {
		got = append(got, c.Kind)
	}
	if diff := cmp.Diff([]Kind{GrantWidened}, got); diff != "" {
		t.Errorf("kinds (-want +got):\n%s\n%+v", diff, rows(d))
	}
}
