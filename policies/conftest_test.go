package policies

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/conftest/output"
	"github.com/open-policy-agent/conftest/parser"
	"github.com/open-policy-agent/conftest/policy"
)

// verdict is what must be equal between conftest and nhigate.
type verdict struct {
	File      string
	Namespace string
	Kind      string // deny or warn
	Message   string
	Excepted  bool
}

// TestConftestDifferential runs conftest's own engine and the Engine on
// the fixtures, with the built-in and user policies and the same data and
// clock, and requires identical verdicts.
func TestConftestDifferential(t *testing.T) {
	userDir := t.TempDir()
	for path, src := range userPolicies {
		dst := filepath.Join(userDir, filepath.Base(path))
		if err := os.WriteFile(dst, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, inputs := fixtureInputs(t)
	ctx := context.Background()

	// conftest test --all-namespaces -p nhigate -p $userDir \
	//   -d testdata/config -d testdata/clock -d data/nhigate/catalog/catalog.json \
	//   testdata/specs/*.yaml
	//
	// The catalog comes with a prefix, as `-d policies/data` puts it under
	// the path of its directory: nhigate.catalog.
	//
	// This is runner.TestRunner.Run without its policy downloader, whose
	// dependencies nhigate does not carry.
	configs, err := parser.ParseConfigurations(files)
	if err != nil {
		t.Fatal(err)
	}
	caps, err := policy.LoadCapabilities("")
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.LoadWithData(
		[]string{builtinDir, userDir},
		[]string{"testdata/config", "testdata/clock", "nhigate.catalog:data/nhigate/catalog/catalog.json"},
		policy.CompilerOptions{RegoVersion: "v1", Capabilities: caps},
	)
	if err != nil {
		t.Fatal(err)
	}
	engine.EnableInterQueryCache()
	var checks output.CheckResults
	for _, ns := range engine.Namespaces() {
		c, err := engine.Check(ctx, configs, ns)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, c...)
	}
	want := conftestVerdicts(t, checks)

	e := newEngine(t, Options{Extra: userPolicies, Data: fixtureConfig(t)})
	results, err := e.Check(ctx, inputs)
	if err != nil {
		t.Fatal(err)
	}
	var got []verdict
	for _, r := range results {
		got = append(got, verdict{r.File, r.Namespace, r.Kind, r.Message, r.Excepted})
	}
	sortVerdicts(got)

	if len(want) < len(files) {
		t.Fatalf("conftest found only %d results in %d files", len(want), len(files))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts differ (-conftest +nhigate):\n%s", diff)
	}
	var excepted, warned bool
	for _, v := range got {
		excepted = excepted || v.Excepted
		warned = warned || v.Kind == KindWarn
	}
	if !excepted || !warned {
		t.Errorf("fixtures lack an exception (%v) or a warning (%v)", excepted, warned)
	}
}

// conftestVerdicts reads conftest's results. conftest replaces the messages
// of an excepted rule by one "exception" entry, so excepted verdicts come
// from the rule's own query, which conftest keeps beside the exception
// query in Queries.
func conftestVerdicts(t *testing.T, checks output.CheckResults) []verdict {
	t.Helper()
	var out []verdict
	for _, c := range checks {
		add := func(kind string, rs []output.Result, excepted bool) {
			for _, r := range rs {
				if r.Message != "" {
					out = append(out, verdict{c.FileName, c.Namespace, kind, r.Message, excepted})
				}
			}
		}
		add(KindDeny, c.Failures, false)
		add(KindWarn, c.Warnings, false)

		if len(c.Queries)%2 != 0 {
			t.Fatalf("%s %s: %d queries, want exception and rule pairs", c.FileName, c.Namespace, len(c.Queries))
		}
		exceptions := 0
		for i := 0; i < len(c.Queries); i += 2 {
			exc, rule := c.Queries[i], c.Queries[i+1]
			if !strings.Contains(exc.Query, ".exception[_][_] == ") {
				t.Fatalf("unexpected query order: %q", exc.Query)
			}
			if len(exc.Results) == 0 {
				continue
			}
			exceptions += len(exc.Results)
			name := rule.Query[strings.LastIndex(rule.Query, ".")+1:]
			kind := KindDeny
			if warningRule.MatchString(name) {
				kind = KindWarn
			}
			add(kind, rule.Results, true)
		}
		if exceptions != len(c.Exceptions) {
			t.Fatalf("%s %s: %d matching exception queries, %d exceptions", c.FileName, c.Namespace, exceptions, len(c.Exceptions))
		}
	}
	sortVerdicts(out)
	return out
}

func sortVerdicts(vs []verdict) {
	slices.SortFunc(vs, func(a, b verdict) int {
		for _, c := range []int{
			strings.Compare(a.File, b.File),
			strings.Compare(a.Namespace, b.Namespace),
			strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.Message, b.Message),
		} {
			if c != 0 {
				return c
			}
		}
		switch {
		case a.Excepted == b.Excepted:
			return 0
		case a.Excepted:
			return 1
		}
		return -1
	})
}
