// Package policies checks specs against nhigate's built-in Rego policies and
// any user policies, with the semantics of `conftest test --all-namespaces`:
// deny, violation and warn rules, exception rules and namespaces. The
// policies are compiled once; one prepared query per document evaluates
// the rules of every namespace that reads the input, in parallel, with the
// exception rules of the repo's namespaces, a second one the exception
// rules of the built-in namespaces when a rule fired, and the namespaces
// that do not read it (the configuration check) are evaluated once per
// Check.
//
// The engine passes data that spares the policies work whose result it
// already has, and that conftest leaves unset: broadness verdicts made in
// Go (data.nhigate.judged, see verdicts), a flag for documents shaped as the
// strict loader requires (data.nhigate.loaded, see shaped) and values
// computed once from the configuration (data.nhigate.run, see
// runConstants). The results are the same with and without them; a user
// policy that uses `with` turns them off (see usesWith).
//
// For the documents the strict loader leaves (see shaped), under a valid
// configuration, the engine evaluates the built-in per-document rules with
// their Go translation (native.go) instead of OPA, about thirty times
// faster; the repo's own policies and every other document still go
// through OPA. Differential tests hold the translation to the Rego's
// results; the Rego files remain the rules.
//
// The built-in policies and their default data are embedded; the same files
// run with conftest:
//
//	conftest test --all-namespaces -p policies/nhigate -d policies/data spec.yaml
//	conftest verify -p policies/nhigate -d policies/data
package policies

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/nhigate/nhigate/policies/data/nhigate/catalog"
)

// builtin holds the built-in policies (with their Rego unit tests) and the
// default configuration.
//
//go:embed nhigate data/nhigate.yaml
var builtin embed.FS

const (
	builtinDir  = "nhigate"
	defaultData = "data/nhigate.yaml"
)

// Result kinds. A violation rule reports as KindDeny, as in conftest.
const (
	KindDeny = "deny"
	KindWarn = "warn"
)

// Options configures an Engine. The zero value runs the built-in policies
// with the default configuration on the real clock.
type Options struct {
	// Extra holds user policies, path -> Rego v1 source, already read by
	// the caller from the base revision. Paths only name the modules in
	// errors. Packages under data.nhigate are reserved for the built-ins.
	Extra map[string]string

	// Data replaces data.nhigate.config when non-nil: the complete
	// configuration (the defaults merged with .nhigate.yaml), shaped like
	// nhigate.config in policies/data/nhigate.yaml. It must be
	// JSON-compatible; a missing or malformed key makes every document
	// fail NHI-CFG-001.
	Data map[string]any

	// Now freezes the clock (data.nhigate.now and time.now_ns) for tests
	// and audits. The zero value uses the real clock.
	Now time.Time

	// pureRego leaves out the broadness verdicts made in Go (see
	// verdicts): the policies judge every pattern themselves, as under
	// conftest.
	pureRego bool
	// regoOnly evaluates the built-in rules in Rego, with the fast paths
	// that pureRego leaves out, but without their Go translation (see
	// native.go): for the tests of those fast paths.
	regoOnly bool
}

// Engine evaluates compiled policies. It is safe for concurrent use.
type Engine struct {
	digest     string
	namespaces []namespace // sorted by name
	// perDoc queries the rules of the namespaces that read the input (and
	// the exception rules of the eager ones), for each document, and
	// perDocExceptions their exception rules, for a document that a rule
	// fails or warns; once queries the others, rules
	// and exceptions, once per Check (see inputIndependent).
	perDoc, perDocExceptions, once query
	// loaded is perDoc on a store where data.nhigate.loaded is true, for
	// the documents that shaped finds as the strict loader leaves them
	// (see loaded.go); nil under pureRego, or when a user policy uses
	// `with` (see usesWith).
	loaded *query
	// native evaluates the built-in per-document rules in Go (see
	// native.go), and userDoc is perDoc without the built-in namespaces,
	// for the documents it evaluates; native is nil under pureRego, or
	// when a user policy uses `with`.
	native  *native
	userDoc query
	now     time.Time
	// verdicts passes broadness verdicts made in Go to the policies; nil
	// to let the Rego judge every pattern.
	verdicts *verdicts
}

// namespace is one Rego package with deny, violation or warn rules.
type namespace struct {
	name  string   // as conftest names it: the package path without "data."
	rules []string // rule names, sorted
	once  bool     // in the once query
	// eager marks a repo namespace (outside nhigate.*): the per-document
	// query evaluates its exception rule with its rules, as conftest
	// queries the exceptions of every rule, so that an exception rule that
	// fails fails the check even when no rule fired. The built-in
	// namespaces share one exception rule (lib.waived) and leave theirs to
	// perDocExceptions.
	eager bool
	index int // position in its query's result
	// userIndex is the position of a repo namespace in userDoc's result.
	userIndex int
	// sets marks the rules, by name, that are sets of messages whatever the
	// input (see isSet): the query refers to them directly, not through a
	// comprehension, and gets their set, not [set].
	sets map[string]bool
}

// query is a prepared query of some namespaces; see buildQuery.
type query struct {
	prepared rego.PreparedEvalQuery
	size     int // number of namespaces
}

// Input is one file to check.
type Input struct {
	// File names the file in results.
	File string
	// Docs are its documents, already parsed into JSON-compatible values
	// (map[string]any, []any, string, float64, json.Number, bool, nil).
	// A multi-document YAML file has one entry per document.
	Docs []any
}

// Result is one message of a deny, violation or warn rule for one document.
type Result struct {
	File      string `json:"file"`
	Doc       int    `json:"doc"`       // index in Input.Docs
	Namespace string `json:"namespace"` // e.g. nhigate.credential
	Kind      string `json:"kind"`      // KindDeny or KindWarn
	// Rule is the rule id (e.g. NHI-CRED-001), or the Rego rule name
	// (e.g. deny_latest_tag) when a user rule gives none.
	Rule string `json:"rule"`
	// Severity is critical, high, medium or low. A user rule without one
	// gets high for deny and medium for warn.
	Severity string `json:"severity"`
	Message  string `json:"message"`
	// Field is a path into the document, like spec.entitlements[0].actions[1],
	// or empty when the result is about the whole document.
	Field string `json:"field,omitempty"`
	Fix   string `json:"fix,omitempty"`
	// Excepted reports that an exception rule waived the result, as
	// conftest's "exceptions". An excepted result does not fail a check.
	Excepted bool     `json:"excepted,omitempty"`
	Controls Controls `json:"controls"`
}

var (
	warningRule = regexp.MustCompile("^warn(_[a-zA-Z0-9]+)*$")
	failureRule = regexp.MustCompile("^(deny|violation)(_[a-zA-Z0-9]+)*$")
)

// New compiles the built-in policies and opts.Extra and prepares their
// query. It fails when a policy does not compile, when a user policy uses
// a reserved package, the network, or `deny if` without `contains`.
func New(ctx context.Context, opts Options) (*Engine, error) {
	modules, err := builtinModules(false)
	if err != nil {
		return nil, err
	}
	rebinds := false
	for _, path := range slices.Sorted(maps.Keys(opts.Extra)) {
		m, err := parseModule(path, opts.Extra[path])
		if err != nil {
			return nil, fmt.Errorf("parse user policy: %w", err)
		}
		if reserved(m) {
			return nil, fmt.Errorf("user policy %s: package %s is reserved for the built-in policies; use a package outside data.nhigate", path, m.Package.Path)
		}
		if _, dup := modules[path]; dup {
			return nil, fmt.Errorf("user policy %s: path is used twice", path)
		}
		modules[path] = m
		// A user policy that evaluates under `with` may run the built-in
		// rules on another input, configuration, catalog or judgement, for
		// which the data the engine passes (verdicts, loaded, run) would
		// stand in wrongly: then the Rego computes everything itself.
		rebinds = rebinds || usesWith(m)
	}
	fast := !opts.pureRego && !rebinds

	compiler, err := compile(modules)
	if err != nil {
		return nil, err
	}
	store, err := newStore(opts.Data, opts.Now, false)
	if err != nil {
		return nil, err
	}
	stores := []storage.Store{store}
	var loadedStore storage.Store
	if fast {
		if loadedStore, err = newStore(opts.Data, opts.Now, true); err != nil {
			return nil, err
		}
		stores = append(stores, loadedStore)
	}

	sum, err := digest(opts.Extra, opts.Data)
	if err != nil {
		return nil, err
	}
	e := &Engine{namespaces: findNamespaces(modules), now: opts.Now, digest: sum}
	for i, ns := range e.namespaces {
		e.namespaces[i].eager = ns.name != "nhigate" && !strings.HasPrefix(ns.name, "nhigate.")
		e.namespaces[i].sets = map[string]bool{}
		for _, rule := range append(slices.Clone(ns.rules), "exception") {
			e.namespaces[i].sets[rule] = isSet(compiler, ns.name, rule)
		}
	}
	if fast {
		e.verdicts = newVerdicts(catalog.Default(), stores)
		if err := precompute(ctx, compiler, stores); err != nil {
			return nil, err
		}
	}
	var perDoc, once, builtinDoc, userDoc []namespace
	for i, ns := range e.namespaces {
		if inputIndependent(compiler, ns) {
			e.namespaces[i].once, e.namespaces[i].index = true, len(once)
			once = append(once, ns)
			continue
		}
		e.namespaces[i].index = len(perDoc)
		perDoc = append(perDoc, ns)
		if ns.eager {
			e.namespaces[i].userIndex = len(userDoc)
			userDoc = append(userDoc, ns)
		} else {
			builtinDoc = append(builtinDoc, ns)
		}
	}
	if fast && !opts.regoOnly {
		excepting := map[string]bool{}
		for _, ns := range builtinDoc {
			excepting[ns.name] = len(compiler.GetRulesExact(ast.MustParseRef("data."+ns.name+".exception"))) > 0
		}
		if e.native, err = newNative(builtinDoc, opts.Data, excepting); err != nil {
			return nil, err
		}
		if e.native != nil {
			if e.userDoc, err = prepare(ctx, compiler, loadedStore, userDoc, true, false); err != nil {
				return nil, err
			}
		}
	}
	if e.perDoc, err = prepare(ctx, compiler, store, perDoc, true, false); err != nil {
		return nil, err
	}
	if e.perDocExceptions, err = prepare(ctx, compiler, store, perDoc, false, true); err != nil {
		return nil, err
	}
	if loadedStore != nil {
		q, err := prepare(ctx, compiler, loadedStore, perDoc, true, false)
		if err != nil {
			return nil, err
		}
		e.loaded = &q
	}
	if e.once, err = prepare(ctx, compiler, store, once, true, true); err != nil {
		return nil, err
	}
	return e, nil
}

// usesWith reports whether m has a `with` modifier. Under one, the built-in
// rules may read another input, data.nhigate.config, data.nhigate.catalog
// or a replaced function or builtin, while data.nhigate.loaded,
// data.nhigate.run and data.nhigate.judged were computed for the document
// and data as the engine passes them.
func usesWith(m *ast.Module) bool {
	found := false
	ast.NewGenericVisitor(func(x any) bool {
		if _, ok := x.(*ast.With); ok {
			found = true
		}
		return found
	}).Walk(m)
	return found
}

// runConstants are the rules of package nhigate.lib that depend on the
// configuration alone, each with the path under data where lib.rego reads
// its value when it is there. precompute evaluates them once per Engine
// instead of once per document.
var runConstants = []struct {
	rule string
	path storage.Path
}{
	{"data.nhigate.lib.run_env_limits", storage.Path{"nhigate", "run", "env_limits"}},
}

// precompute evaluates runConstants on stores[0] and writes their values
// to every store.
func precompute(ctx context.Context, compiler *ast.Compiler, stores []storage.Store) error {
	run := ast.NewObject()
	for _, c := range runConstants {
		rs, err := rego.New(rego.Query("x := "+c.rule), rego.Compiler(compiler), rego.Store(stores[0]), rego.GenerateJSON(rawTerm)).Eval(ctx)
		if err != nil {
			return fmt.Errorf("evaluate %s: %w", c.rule, err)
		}
		if len(rs) != 1 {
			continue // undefined: the policies compute it themselves
		}
		t, ok := rs[0].Bindings["x"].(*ast.Term)
		if !ok {
			return fmt.Errorf("evaluate %s: got %T", c.rule, rs[0].Bindings["x"])
		}
		run.Insert(ast.StringTerm(c.path[2]), t)
	}
	for _, store := range stores {
		if err := storage.WriteOne(ctx, store, storage.AddOp, storage.Path{"nhigate", "run"}, run); err != nil {
			return fmt.Errorf("write run constants: %w", err)
		}
	}
	return nil
}

func prepare(ctx context.Context, compiler *ast.Compiler, store storage.Store, namespaces []namespace, rules, exceptions bool) (query, error) {
	pq, err := rego.New(
		rego.Query(buildQuery(namespaces, rules, exceptions)),
		rego.Compiler(compiler),
		rego.Store(store),
	).PrepareForEval(ctx)
	if err != nil {
		return query{}, fmt.Errorf("prepare policy query: %w", err)
	}
	return query{prepared: pq, size: len(namespaces)}, nil
}

// eval runs q and returns one array per namespace, as OPA's values: the
// results stay unconverted, since most rules have none (see checkDoc).
// input may be nil.
func (q query) eval(ctx context.Context, input ast.Value, now time.Time) ([]*ast.Term, error) {
	opts := []rego.EvalOption{rego.EvalTime(now), rego.EvalGenerateJSON(rawTerm)}
	if input != nil {
		opts = append(opts, rego.EvalParsedInput(input))
	}
	rs, err := q.prepared.Eval(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("evaluate policies: %w", err)
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("evaluate policies: query returned %d results, want 1", len(rs))
	}
	t, _ := rs[0].Bindings[resultVar].(*ast.Term)
	var all *ast.Array
	if t != nil {
		all, _ = t.Value.(*ast.Array)
	}
	if all == nil || all.Len() != q.size {
		return nil, fmt.Errorf("evaluate policies: query returned %v", rs[0].Bindings[resultVar])
	}
	out := make([]*ast.Term, q.size)
	for i := range out {
		out[i] = all.Elem(i)
	}
	return out, nil
}

// rawTerm keeps a query's values as OPA's terms.
func rawTerm(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// toJSON converts a value of a query result to the JSON-compatible values
// that OPA's results hold by default.
func toJSON(t *ast.Term) (any, error) {
	return ast.JSONWithOpt(t.Value, ast.JSONOpt{})
}

// Check evaluates every document of inputs against every namespace, in
// parallel on GOMAXPROCS workers. Results come in input, document,
// namespace and rule order. Any evaluation error, timeout or malformed
// result fails the whole check: nothing is dropped.
func (e *Engine) Check(ctx context.Context, inputs []Input) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	now := e.now
	if now.IsZero() {
		now = time.Now()
	}

	type job struct{ in, doc int }
	var jobs []job
	for i, in := range inputs {
		for d := range in.Docs {
			jobs = append(jobs, job{i, d})
		}
	}
	out := make([][]Result, len(jobs))
	var once []*ast.Term
	if len(jobs) > 0 && e.once.size > 0 {
		var err error
		if once, err = e.once.eval(ctx, nil, now); err != nil {
			return nil, checkError(ctx, err)
		}
	}
	// The Go translation of the built-in rules holds only for a
	// configuration the policies find valid: NHI-CFG-001 is silent.
	native := e.native
	if native != nil && len(jobs) > 0 && !e.onceSilent(once) {
		native = nil
	}
	if e.verdicts != nil {
		// The verdicts serve the documents that the Rego evaluates.
		needed := inputs
		if native != nil && e.userDoc.size == 0 {
			needed = nil
			for _, in := range inputs {
				if docs := slices.DeleteFunc(slices.Clone(in.Docs), shaped); len(docs) > 0 {
					needed = append(needed, Input{File: in.File, Docs: docs})
				}
			}
		}
		if err := e.verdicts.add(ctx, needed); err != nil {
			return nil, fmt.Errorf("check: %w", err)
		}
	}

	parent := ctx
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := jobs[i]
				in := inputs[j.in]
				res, err := e.checkDocSafe(ctx, native, in.File, j.doc, in.Docs[j.doc], once, now)
				if err != nil {
					cancel(err)
					return
				}
				out[i] = res
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, checkError(parent, err)
	}

	var results []Result
	for _, r := range out {
		results = append(results, r...)
	}
	return results, nil
}

// checkError wraps an evaluation error. OPA reports a cancelled evaluation
// in its own error type, so the deadline or cancellation of ctx that caused
// it is named too: callers can tell a timeout from a broken policy.
func checkError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("check: %w: %v", cerr, err)
	}
	return fmt.Errorf("check: %w", err)
}

// onceSilent reports whether the built-in namespaces of the once query
// (the check of the configuration) have no results in once.
func (e *Engine) onceSilent(once []*ast.Term) bool {
	for _, ns := range e.namespaces {
		if !ns.once || ns.eager {
			continue
		}
		values, ok := once[ns.index].Value.(*ast.Array)
		if !ok || values.Len() != len(ns.rules)+1 {
			return false
		}
		for k, rule := range ns.rules {
			if v, err := definedIn(ns, rule, values.Elem(k)); err != nil || v != nil {
				return false
			}
		}
	}
	return true
}

// checkDocSafe is checkDoc, with a panic in the evaluation (OPA's number
// comparison panics on a NaN a library caller passed) returned as an
// error, so that it fails the Check instead of the process.
func (e *Engine) checkDocSafe(ctx context.Context, native *native, file string, doc int, v any, once []*ast.Term, now time.Time) (res []Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%s: document %d: evaluation failed: %v", file, doc, r)
		}
	}()
	return e.checkDoc(ctx, native, file, doc, v, once, now)
}

// checkDoc evaluates one document; once holds the results of the
// namespaces that do not depend on it.
func (e *Engine) checkDoc(ctx context.Context, native *native, file string, doc int, v any, once []*ast.Term, now time.Time) ([]Result, error) {
	// The built-in namespaces' results, from native, when it evaluates
	// the document; the query then covers the repo's namespaces alone.
	var builtin map[string][]Result
	viaNative := false
	isShaped := shaped(v)
	if native != nil && isShaped {
		builtin, viaNative = native.check(v.(map[string]any), now)
	}
	q := e.perDoc
	switch {
	case viaNative:
		q = e.userDoc
	case e.loaded != nil && isShaped:
		q = *e.loaded
	}
	var input ast.Value
	var perDoc []*ast.Term
	if q.size > 0 {
		var err error
		if input, err = ast.InterfaceToValue(v); err != nil {
			return nil, fmt.Errorf("%s: document %d: convert input: %w", file, doc, err)
		}
		if perDoc, err = q.eval(ctx, input, now); err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", file, doc, err)
		}
	}

	// exceptionsOf evaluates the exception rules of the per-document
	// namespaces once, when a rule of one of them fired: the results of
	// most documents need none.
	var perDocExceptions []*ast.Term
	exceptionsOf := func(ns namespace, values *ast.Array) (*ast.Term, error) {
		if ns.once || ns.eager {
			return values.Elem(len(ns.rules)), nil
		}
		if perDocExceptions == nil {
			var err error
			if perDocExceptions, err = e.perDocExceptions.eval(ctx, input, now); err != nil {
				return nil, err
			}
		}
		a, ok := perDocExceptions[ns.index].Value.(*ast.Array)
		if !ok || a.Len() != 1 {
			return nil, fmt.Errorf("namespace %s: malformed query result", ns.name)
		}
		return a.Elem(0), nil
	}

	var results []Result
	for _, ns := range e.namespaces {
		all, size, index := perDoc, len(ns.rules), ns.index
		if ns.eager {
			size++
		}
		switch {
		case ns.once:
			all, size = once, len(ns.rules)+1
		case viaNative && !ns.eager:
			for _, r := range builtin[ns.name] {
				r.File, r.Doc = file, doc
				results = append(results, r)
			}
			continue
		case viaNative:
			index = ns.userIndex
		}
		values, ok := all[index].Value.(*ast.Array)
		if !ok || values.Len() != size {
			return nil, fmt.Errorf("%s: document %d: namespace %s: malformed query result", file, doc, ns.name)
		}
		var exceptions any
		for k, rule := range ns.rules {
			value, err := definedIn(ns, rule, values.Elem(k))
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: rule data.%s.%s: %w", file, doc, ns.name, rule, err)
			}
			if value == nil {
				continue // undefined: []
			}
			found, err := ruleResults(ns.name, rule, value)
			if err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", file, doc, err)
			}
			if len(found) > 0 && exceptions == nil {
				t, err := exceptionsOf(ns, values)
				if err != nil {
					return nil, fmt.Errorf("%s: document %d: %w", file, doc, err)
				}
				if exceptions, err = definedIn(ns, "exception", t); err != nil {
					return nil, fmt.Errorf("%s: document %d: data.%s.exception: %w", file, doc, ns.name, err)
				}
				if exceptions == nil {
					exceptions = []any{}
				}
			}
			excepted := len(found) > 0 && hasException(exceptions, ruleSuffix(rule))
			for _, r := range found {
				r.File, r.Doc, r.Excepted = file, doc, excepted
				results = append(results, r)
			}
		}
	}
	return results, nil
}

// inputIndependent reports whether the rules of ns, and every rule they
// use, neither read the input nor call a nondeterministic builtin (but
// time.now_ns, which Check fixes). Such a namespace, like the check of the
// configuration, gives every document the same results, so Check
// evaluates it once instead of once per document.
func inputIndependent(c *ast.Compiler, ns namespace) bool {
	var stack []*ast.Rule
	for _, name := range append(slices.Clone(ns.rules), "exception") {
		ref, err := ast.ParseRef("data." + ns.name + "." + name)
		if err != nil {
			return false
		}
		stack = append(stack, c.GetRulesExact(ref)...)
	}
	seen := map[*ast.Rule]bool{}
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[r] {
			continue
		}
		seen[r] = true
		if readsInput(r) {
			return false
		}
		for dep := range c.Graph.Dependencies(r) {
			stack = append(stack, dep.(*ast.Rule))
		}
		if r.Else != nil {
			stack = append(stack, r.Else)
		}
	}
	return true
}

// readsInput reports whether r refers to input, uses `with`, or calls a
// nondeterministic builtin other than time.now_ns.
func readsInput(r *ast.Rule) bool {
	found := false
	nondeterministic := func(op ast.Ref) bool {
		b, ok := ast.BuiltinMap[op.String()]
		return ok && b.Nondeterministic && b.Name != "time.now_ns"
	}
	ast.NewGenericVisitor(func(x any) bool {
		switch x := x.(type) {
		case ast.Ref:
			found = found || x.HasPrefix(ast.InputRootRef)
		case *ast.With:
			found = true
		case *ast.Expr:
			found = found || (x.IsCall() && nondeterministic(x.Operator()))
		case ast.Call:
			found = found || nondeterministic(x[0].Value.(ast.Ref))
		}
		return found
	}).Walk(r)
	return found
}

// resultVar binds the query result: per namespace, an array holding for each
// rule (with rules), then for exception (with exceptions, or with rules
// for an eager namespace), [value] when defined and [] when undefined.
const resultVar = "nhigate_results"

func buildQuery(namespaces []namespace, rules, exceptions bool) string {
	var b strings.Builder
	b.WriteString(resultVar + " := [")
	for i, ns := range namespaces {
		if i > 0 {
			b.WriteString(", ")
		}
		var parts []string
		ref := func(rule string) string {
			if ns.sets[rule] {
				return fmt.Sprintf("data.%s.%s", ns.name, rule)
			}
			return fmt.Sprintf("[x | x := data.%s.%s]", ns.name, rule)
		}
		if rules {
			for _, rule := range ns.rules {
				parts = append(parts, ref(rule))
			}
		}
		if exceptions || (rules && ns.eager) {
			parts = append(parts, ref("exception"))
		}
		b.WriteString("[" + strings.Join(parts, ", ") + "]")
	}
	b.WriteString("]")
	return b.String()
}

// isSet reports whether every rule named data.<ns>.<name> is a partial set
// rule with a one-part head (name contains x if ...). Such a rule is a set
// for every input, empty when no body holds, so the query may refer to it
// directly: one comprehension fewer per rule.
func isSet(c *ast.Compiler, ns, name string) bool {
	ref, err := ast.ParseRef("data." + ns + "." + name)
	if err != nil {
		return false
	}
	rules := c.GetRulesExact(ref)
	for _, r := range rules {
		if r.Head.RuleKind() != ast.MultiValue || len(r.Head.Ref()) != 1 || len(r.Head.Args) > 0 {
			return false
		}
	}
	return len(rules) > 0
}

// definedIn reads one rule's value as the query returns it: for a rule of
// sets, the set (see isSet); for another, [] or [value]. It returns nil
// when the rule is undefined or an empty set, and otherwise [value],
// converted to JSON-compatible values.
func definedIn(ns namespace, rule string, t *ast.Term) (any, error) {
	if !ns.sets[rule] {
		return defined(t)
	}
	set, ok := t.Value.(ast.Set)
	if !ok {
		return nil, fmt.Errorf("malformed query result")
	}
	if set.Len() == 0 {
		return nil, nil
	}
	v, err := toJSON(t)
	if err != nil {
		return nil, fmt.Errorf("malformed query result: %w", err)
	}
	return []any{v}, nil
}

// defined reads one rule's value in the query's [] or [value] form: nil
// for [], and value, converted to JSON-compatible values, for [value].
func defined(t *ast.Term) (any, error) {
	a, ok := t.Value.(*ast.Array)
	if !ok || a.Len() > 1 {
		return nil, fmt.Errorf("malformed query result")
	}
	if a.Len() == 0 {
		return nil, nil
	}
	v, err := toJSON(t)
	if err != nil {
		return nil, fmt.Errorf("malformed query result: %w", err)
	}
	return v, nil
}

// ruleResults turns the value of one rule (in [] or [value] form) into
// results. conftest reads a set or array of strings or of objects with a
// string "msg"; anything else would be a silent pass there, so it is an
// error here.
func ruleResults(ns, rule string, v any) ([]Result, error) {
	defined, ok := v.([]any)
	if !ok || len(defined) > 1 {
		return nil, fmt.Errorf("rule data.%s.%s: malformed query result", ns, rule)
	}
	if len(defined) == 0 {
		return nil, nil
	}
	msgs, ok := defined[0].([]any)
	if !ok {
		return nil, fmt.Errorf("rule data.%s.%s is %s, want a set of messages: write `%s contains msg if { ... }`", ns, rule, typeName(defined[0]), rule)
	}
	kind := KindDeny
	if warningRule.MatchString(rule) {
		kind = KindWarn
	}
	results := make([]Result, 0, len(msgs))
	for _, m := range msgs {
		r, err := newResult(kind, rule, m)
		if err != nil {
			return nil, fmt.Errorf("rule data.%s.%s: %w", ns, rule, err)
		}
		r.Namespace = ns
		results = append(results, r)
	}
	return results, nil
}

func newResult(kind, rule string, v any) (Result, error) {
	r := Result{Kind: kind, Rule: rule, Severity: "high"}
	if kind == KindWarn {
		r.Severity = "medium"
	}
	switch v := v.(type) {
	case string:
		if v == "" {
			return Result{}, fmt.Errorf("empty message")
		}
		r.Message = v
		return r, nil
	case map[string]any:
		msg, ok := v["msg"].(string)
		if !ok || msg == "" {
			return Result{}, fmt.Errorf("result object needs a non-empty string \"msg\", got %s", typeName(v["msg"]))
		}
		r.Message = msg
		// conftest passes every other key of a result object through as
		// metadata; these are the ones nhigate reads. "id" is the common
		// spelling of a rule id in that metadata, "rule" nhigate's own.
		if err := optionalString(v, "id", &r.Rule); err != nil {
			return Result{}, err
		}
		for key, dst := range map[string]*string{"rule": &r.Rule, "field": &r.Field, "fix": &r.Fix} {
			if err := optionalString(v, key, dst); err != nil {
				return Result{}, err
			}
		}
		if err := optionalString(v, "severity", &r.Severity); err != nil {
			return Result{}, err
		}
		r.Severity = strings.ToLower(r.Severity)
		if !slices.Contains([]string{"critical", "high", "medium", "low"}, r.Severity) {
			return Result{}, fmt.Errorf("severity %q: write critical, high, medium or low", r.Severity)
		}
		if c, ok := v["controls"]; ok {
			controls, err := decodeControls(c)
			if err != nil {
				return Result{}, err
			}
			r.Controls = controls
		}
		return r, nil
	default:
		return Result{}, fmt.Errorf("result is %s, want a string or an object with \"msg\"", typeName(v))
	}
}

func optionalString(m map[string]any, key string, dst *string) error {
	v, ok := m[key]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("result %q is %s, want a string", key, typeName(v))
	}
	*dst = s
	return nil
}

func decodeControls(v any) (Controls, error) {
	var c Controls
	bs, err := json.Marshal(v)
	if err == nil {
		d := json.NewDecoder(strings.NewReader(string(bs)))
		d.DisallowUnknownFields()
		err = d.Decode(&c)
	}
	if err != nil {
		return Controls{}, fmt.Errorf("result \"controls\": want an object of string lists (owasp_nhi, nist_csf, csa_maestro, nist_ai_rmf): %w", err)
	}
	return c, nil
}

// hasException reports whether conftest's query
// `data.<ns>.exception[_][_] == name` succeeds. exceptions is [] or [value].
func hasException(exceptions any, name string) bool {
	for _, set := range elements(exceptions) {
		for _, e := range elements(set) {
			for _, n := range elements(e) {
				if s, ok := n.(string); ok && s == name {
					return true
				}
			}
		}
	}
	return false
}

// elements iterates a collection like Rego's x[_].
func elements(v any) []any {
	switch v := v.(type) {
	case []any:
		return v
	case map[string]any:
		return slices.Collect(maps.Values(v))
	}
	return nil
}

// ruleSuffix is the name an exception uses for a rule: deny_foo -> foo.
func ruleSuffix(rule string) string {
	if rule == "violation" || rule == "deny" || rule == "warn" {
		return ""
	}
	rule = strings.TrimPrefix(rule, "violation_")
	rule = strings.TrimPrefix(rule, "deny_")
	return strings.TrimPrefix(rule, "warn_")
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int:
		return "a number"
	case []any:
		return "a collection"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// builtinModules parses the embedded policies, with or without their
// *_test.rego files.
func builtinModules(withTests bool) (map[string]*ast.Module, error) {
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(builtin, builtinDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		if !withTests && strings.HasSuffix(path, "_test.rego") {
			return nil
		}
		src, err := builtin.ReadFile(path)
		if err != nil {
			return err
		}
		m, err := parseModule(path, string(src))
		if err != nil {
			return err
		}
		modules[path] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load built-in policies: %w", err)
	}
	return modules, nil
}

func parseModule(path, src string) (*ast.Module, error) {
	return ast.ParseModuleWithOpts(path, src, ast.ParserOptions{
		RegoVersion:       ast.RegoV1,
		ProcessAnnotation: true,
	})
}

func reserved(m *ast.Module) bool {
	p := m.Package.Path
	return len(p) > 1 && p[1].Value.Compare(ast.String("nhigate")) == 0
}

// capabilities are OPA's, minus the builtins that reach the network: policy
// evaluation stays pure.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(slices.Clone(caps.Builtins), func(b *ast.Builtin) bool {
		return b.Name == "http.send" || b.Name == "net.lookup_ip_addr"
	})
	return caps
}

func compile(modules map[string]*ast.Module) (*ast.Compiler, error) {
	compiler := ast.NewCompiler().WithCapabilities(capabilities())
	compiler.Compile(modules)
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	if err := problematicIf(modules); err != nil {
		return nil, err
	}
	return compiler, nil
}

// problematicIf rejects `deny if { ... }`, which makes deny a boolean, as
// conftest does (https://github.com/open-policy-agent/opa/issues/6509).
func problematicIf(modules map[string]*ast.Module) error {
	for _, path := range slices.Sorted(maps.Keys(modules)) {
		for _, rule := range modules[path].Rules {
			h := rule.Head
			if h == nil || h.Name != "" || h.Value == nil || len(h.Reference) == 0 {
				continue
			}
			name := h.Reference[0].Value.String()
			if (failureRule.MatchString(name) || warningRule.MatchString(name)) && h.Value.String() == "true" {
				return fmt.Errorf("%s:%d: rule %s uses `if` without `contains`: write `%s contains msg if { ... }`", path, h.Location.Row, name, name)
			}
		}
	}
	return nil
}

// RepoRule is a rule of a repo policy, one the engine runs beside the
// built-ins.
type RepoRule struct {
	Namespace string `json:"namespace"`
	Rule      string `json:"rule"` // e.g. deny_no_admin_names
	Kind      string `json:"kind"` // KindDeny or KindWarn
}

// RepoRules lists the deny, violation and warn rules of the repo policies
// (every namespace outside nhigate.*), by namespace and name. Their ids and
// severities come with their results; see the conftest metadata convention.
func (e *Engine) RepoRules() []RepoRule {
	var out []RepoRule
	for _, ns := range e.namespaces {
		if ns.name == "nhigate" || strings.HasPrefix(ns.name, "nhigate.") {
			continue
		}
		for _, r := range ns.rules {
			kind := KindDeny
			if warningRule.MatchString(r) {
				kind = KindWarn
			}
			out = append(out, RepoRule{Namespace: ns.name, Rule: r, Kind: kind})
		}
	}
	return out
}

// findNamespaces lists, like conftest, every package with deny, violation
// or warn rules. Rule names that differ only in case count once.
func findNamespaces(modules map[string]*ast.Module) []namespace {
	rules := map[string][]string{}
	for _, path := range slices.Sorted(maps.Keys(modules)) {
		m := modules[path]
		ns := strings.Replace(m.Package.Path.String(), "data.", "", 1)
		for _, r := range m.Rules {
			name := r.Head.Name.String()
			if !failureRule.MatchString(name) && !warningRule.MatchString(name) {
				continue
			}
			if !slices.ContainsFunc(rules[ns], func(s string) bool { return strings.EqualFold(s, name) }) {
				rules[ns] = append(rules[ns], name)
			}
		}
	}
	var namespaces []namespace
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		sort.Strings(rules[name])
		namespaces = append(namespaces, namespace{name: name, rules: rules[name]})
	}
	return namespaces
}

// defaultDocuments is the data that `conftest -d policies/data` loads: the
// embedded default configuration as nhigate.config, and the catalog of
// sensitive actions and resource types as nhigate.catalog (loaded from
// data/nhigate/catalog/catalog.json, under the path of its directory).
func defaultDocuments() (map[string]any, error) {
	raw, err := builtin.ReadFile(defaultData)
	if err != nil {
		return nil, fmt.Errorf("read default data: %w", err)
	}
	var data map[string]any
	if err := util.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("parse default data: %w", err)
	}
	nhigate, ok := data["nhigate"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse default data: %s has no nhigate key", defaultData)
	}
	var c map[string]any
	if err := util.UnmarshalJSON(catalog.JSON(), &c); err != nil {
		return nil, fmt.Errorf("parse catalog data: %w", err)
	}
	nhigate["catalog"] = c
	return data, nil
}

// newStore holds the data of the policies: the defaults (defaultDocuments),
// with nhigate.config replaced by config, nhigate.now set from now, and
// nhigate.loaded set to true with loaded (see loaded.go).
func newStore(config map[string]any, now time.Time, loaded bool) (storage.Store, error) {
	data, err := defaultDocuments()
	if err != nil {
		return nil, err
	}
	nhigate := data["nhigate"].(map[string]any)
	if config != nil {
		c, err := copyConfig(config)
		if err != nil {
			return nil, err
		}
		nhigate["config"] = c
	}
	if !now.IsZero() {
		nhigate["now"] = now.UTC().Format(time.RFC3339Nano)
	}
	if loaded {
		nhigate["loaded"] = true
	}
	return inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true)), nil
}

// copyConfig copies the caller's configuration as the policies read it: a
// JSON round trip rejects values that Rego cannot hold and makes numbers
// json.Number.
func copyConfig(config map[string]any) (map[string]any, error) {
	bs, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encode config data: %w", err)
	}
	var c map[string]any
	if err := util.UnmarshalJSON(bs, &c); err != nil {
		return nil, fmt.Errorf("decode config data: %w", err)
	}
	return c, nil
}

// storeConfig is data.nhigate.config as newStore writes it: config, or the
// default configuration when config is nil.
func storeConfig(config map[string]any) (map[string]any, error) {
	if config != nil {
		return copyConfig(config)
	}
	data, err := defaultDocuments()
	if err != nil {
		return nil, err
	}
	c, _ := data["nhigate"].(map[string]any)["config"].(map[string]any)
	return c, nil
}
