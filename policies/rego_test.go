package policies

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/util"
)

// defaultDataStore holds policies/data (the configuration and the catalog),
// as conftest -d loads it.
func defaultDataStore(t *testing.T) storage.Store {
	t.Helper()
	data, err := defaultDocuments()
	if err != nil {
		t.Fatal(err)
	}
	return inmem.NewFromObject(data)
}

// TestRego runs the Rego unit tests beside the policies, as
// `conftest verify -p policies/nhigate` does, with and without -d data.
func TestRego(t *testing.T) {
	for _, withData := range []bool{true, false} {
		t.Run(fmt.Sprintf("data=%v", withData), func(t *testing.T) {
			modules, err := builtinModules(true)
			if err != nil {
				t.Fatal(err)
			}
			store := inmem.New()
			if withData {
				store = defaultDataStore(t)
			}
			// OPA's default of 5 s per test is shorter than the judgement
			// of every broad pattern takes on a loaded 2-core machine.
			ch, err := tester.NewRunner().
				SetTimeout(2*time.Minute).
				SetCompiler(ast.NewCompiler().WithCapabilities(capabilities())).
				SetStore(store).
				SetModules(modules).
				RunTests(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for r := range ch {
				n++
				switch {
				case r.Error != nil:
					t.Errorf("%s.%s: %v", r.Package, r.Name, r.Error)
				case r.Fail:
					t.Errorf("%s.%s (%s) failed", r.Package, r.Name, r.Location)
				case r.Skip:
					t.Errorf("%s.%s was skipped", r.Package, r.Name)
				}
			}
			if n < 2*len(Catalog()) {
				t.Errorf("ran %d Rego tests, want at least a passing and a failing one per rule (%d rules)", n, len(Catalog()))
			}
		})
	}
}

// TestRegoStrict keeps the built-in policies clean under OPA's strict mode:
// no unused variables or imports, no deprecated builtins.
func TestRegoStrict(t *testing.T) {
	modules, err := builtinModules(true)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(capabilities()).WithStrict(true)
	if c.Compile(modules); c.Failed() {
		t.Fatal(c.Errors)
	}
}

var (
	csfID     = regexp.MustCompile(`^(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-[0-9]{2}$`)
	airmfID   = regexp.MustCompile(`^(GOVERN|MAP|MEASURE|MANAGE) [0-9]+\.[0-9]+$`)
	maestroID = regexp.MustCompile(`^L[1-7] [A-Z][A-Za-z ]+(: .+)?$`)
)

// TestCatalog checks that the catalog and the Rego rules agree: every entry
// has its rule, every built-in deny or warn rule has an entry, and every
// rule has a passing and a failing Rego unit test.
func TestCatalog(t *testing.T) {
	modules, err := builtinModules(true)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{} // namespace.rule
	tests := map[string]bool{}
	for _, m := range modules {
		ns := strings.TrimPrefix(m.Package.Path.String(), "data.")
		for _, r := range m.Rules {
			name := r.Head.Name.String()
			switch {
			case strings.HasPrefix(name, "test_"):
				tests[name] = true
			case failureRule.MatchString(name) || warningRule.MatchString(name):
				defined[ns+"."+name] = true
			}
		}
	}

	rules := Catalog()
	if !slices.IsSortedFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("Catalog() is not sorted by id")
	}
	listed := map[string]bool{}
	for _, r := range rules {
		key := r.Namespace + "." + r.Name()
		listed[key] = true
		if !defined[key] {
			t.Errorf("%s: rule %s is not defined in package %s", r.ID, r.Name(), r.Namespace)
		}
		if !strings.HasPrefix(r.Namespace, "nhigate.") {
			t.Errorf("%s: namespace %q is not under nhigate", r.ID, r.Namespace)
		}
		if r.Kind != KindDeny && r.Kind != KindWarn {
			t.Errorf("%s: kind %q", r.ID, r.Kind)
		}
		if !slices.Contains([]string{"critical", "high", "medium", "low"}, r.Severity) {
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		if r.Title == "" || r.Fix == "" || strings.Contains(r.Fix, "\n") {
			t.Errorf("%s: needs a title and a one-line fix", r.ID)
		}
		for _, id := range r.Controls.OWASP {
			if owaspName(id) == "(unknown)" {
				t.Errorf("%s: unknown OWASP NHI id %q", r.ID, id)
			}
		}
		check := func(ids []string, re *regexp.Regexp, what string) {
			if len(ids) == 0 {
				t.Errorf("%s: no %s controls", r.ID, what)
			}
			for _, id := range ids {
				if !re.MatchString(id) {
					t.Errorf("%s: %s control %q does not match %s", r.ID, what, id, re)
				}
			}
		}
		check(r.Controls.CSF, csfID, "NIST CSF")
		check(r.Controls.AIRMF, airmfID, "NIST AI RMF")
		check(r.Controls.MAESTRO, maestroID, "CSA MAESTRO")
		base := "test_" + strings.TrimPrefix(r.Name(), r.Kind+"_")
		for _, outcome := range []string{"_pass", "_fail"} {
			if !hasPrefixKey(tests, base+outcome) {
				t.Errorf("%s: no Rego unit test named %s*", r.ID, base+outcome)
			}
		}
	}
	for key := range defined {
		if strings.HasPrefix(key, "nhigate.") && !listed[key] {
			t.Errorf("rule %s has no catalog entry", key)
		}
	}
}

func hasPrefixKey(m map[string]bool, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// TestFixtureConfig keeps the configuration the Rego unit tests use equal
// to the shipped defaults, so the tests test the defaults.
func TestFixtureConfig(t *testing.T) {
	modules, err := builtinModules(true)
	if err != nil {
		t.Fatal(err)
	}
	c := ast.NewCompiler().WithCapabilities(capabilities())
	if c.Compile(modules); c.Failed() {
		t.Fatal(c.Errors)
	}
	ctx := context.Background()
	rs, err := rego.New(rego.Query("data.nhigate_test.fixtures.config"), rego.Compiler(c)).Eval(ctx)
	if err != nil || len(rs) != 1 {
		t.Fatalf("eval fixture config: %v (%d results)", err, len(rs))
	}
	got := rs[0].Expressions[0].Value

	want, err := storage.ReadOne(ctx, defaultDataStore(t), storage.MustParsePath("/nhigate/config"))
	if err != nil {
		t.Fatal(err)
	}
	// Compare as JSON values: numbers differ in Go type only.
	if diff := cmp.Diff(roundTrip(t, want), roundTrip(t, got)); diff != "" {
		t.Errorf("fixture config in lib/fixtures_test.rego differs from %s (-data +fixture):\n%s", defaultData, diff)
	}
}

func roundTrip(t *testing.T, v any) any {
	t.Helper()
	if err := util.RoundTrip(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
