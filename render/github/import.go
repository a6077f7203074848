package github

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"

	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/spec"
)

// Limits of what Import reads, failing closed beyond them.
const (
	MaxFileSize = 1 << 20
	MaxRequests = 100
)

// Import reads an installation-token manifest and returns its app as one
// principal: one entitlement per request, its permissions as
// "permission:level" and its repositories as "owner/repo" ("owner/*" when
// the request names none), both sorted, as Render writes them. The
// principal's credential is ephemeral with a TTL of 1h, because GitHub
// enforces that; it has no expiry, because GitHub enforces none.
func Import(file string, data []byte) ([]render.Principal, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes, over the limit of %d", file, len(data), MaxFileSize)
	}
	// encoding/json keeps the last of two keys that match one field, in
	// any case: {"repositories": ["a"], "Repositories": null} would read
	// as every repository.
	if err := render.DuplicateKey(data); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: not an installation-token manifest (nhigate render --target github writes one): %w", file, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: more than one JSON value", file)
	}
	if m.App == "" || !identityNameOK(m.App) {
		return nil, fmt.Errorf("%s: app %q is not an identity name", file, m.App)
	}
	if !ownerRE.MatchString(m.Owner) {
		return nil, fmt.Errorf("%s: owner %q is not a GitHub account name", file, m.Owner)
	}
	if m.TokenLifetime != tokenLifetimeText {
		return nil, fmt.Errorf("%s: tokenLifetime %q: installation tokens live %s", file, m.TokenLifetime, tokenLifetimeText)
	}
	if len(m.Requests) == 0 {
		return nil, fmt.Errorf("%s: no requests", file)
	}
	if len(m.Requests) > MaxRequests {
		return nil, fmt.Errorf("%s: %d requests, over the limit of %d", file, len(m.Requests), MaxRequests)
	}
	p := render.Principal{
		Identity:       spec.Identity{Name: m.App, Type: "token", Platform: "github"},
		CredentialKind: "ephemeral",
		TTL:            TokenLifetime,
	}
	for i, r := range m.Requests {
		e, err := entitlement(m.Owner, r)
		if err != nil {
			return nil, fmt.Errorf("%s: requests[%d]: %w", file, i, err)
		}
		p.Entitlements = append(p.Entitlements, e)
	}
	return []render.Principal{p}, nil
}

func entitlement(owner string, r Request) (spec.Entitlement, error) {
	if r.Method != Method || r.Path != Path {
		return spec.Entitlement{}, fmt.Errorf("%s %s is not the installation-token request (%s %s)", r.Method, r.Path, Method, Path)
	}
	if len(r.Body.Permissions) == 0 {
		// GitHub grants every permission of the app when a request
		// names none: import cannot know which.
		return spec.Entitlement{}, errors.New("body.permissions is empty, which asks for every permission of the app; name them")
	}
	var e spec.Entitlement
	for _, name := range sortedKeysS(r.Body.Permissions) {
		a := name + ":" + r.Body.Permissions[name]
		if _, _, err := parseAction(a); err != nil {
			return spec.Entitlement{}, fmt.Errorf("body.permissions.%s: %w", name, err)
		}
		e.Actions = append(e.Actions, a)
	}
	if r.Body.Repositories == nil {
		e.Resources = []string{owner + "/*"}
		return e, nil
	}
	if len(r.Body.Repositories) == 0 || len(r.Body.Repositories) > MaxRepositories {
		return spec.Entitlement{}, fmt.Errorf("body.repositories names %d repositories; GitHub takes 1 to %d (omit it for every repository)", len(r.Body.Repositories), MaxRepositories)
	}
	for j, repo := range r.Body.Repositories {
		if _, _, err := parseResource(owner + "/" + repo); err != nil || repo == "*" {
			return spec.Entitlement{}, fmt.Errorf("body.repositories[%d]: %q is not a repository name", j, repo)
		}
		res := owner + "/" + repo
		if slices.Contains(e.Resources, res) {
			return spec.Entitlement{}, fmt.Errorf("body.repositories[%d]: %s is listed twice", j, repo)
		}
		e.Resources = append(e.Resources, res)
	}
	slices.Sort(e.Resources)
	return e, nil
}

func sortedKeysS(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var identityNameRE = regexp.MustCompile(spec.IdentityNamePattern)

func identityNameOK(s string) bool { return identityNameRE.MatchString(s) }
