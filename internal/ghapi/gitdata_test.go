package ghapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/internal/ghtest"
)

func TestOpenChange(t *testing.T) {
	c, srv, _ := setup(t)
	gd := srv.EnableGitData()
	baseCommit := gd.AddRepo("acme", "policy", "main", map[string]string{
		"identities/old.yaml":  "old\n",
		"identities/keep.yaml": "keep\n",
	})
	opened, err := c.OpenChange(context.Background(), Change{
		Owner: "acme", Repo: "policy", Base: "main", Branch: "nhigate/sweep-2026-11-25",
		Files: map[string][]byte{
			"identities/old.yaml":  nil,
			"identities/keep.yaml": []byte("kept, edited\n"),
		},
		Message: "sweep: revoke expired grants",
		Title:   "nhigate: revoke expired grants", Body: "the body", Labels: []string{"nhigate:revocation"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if opened.Number <= 0 || opened.BaseSHA != baseCommit || !strings.Contains(opened.URL, "/acme/policy/pull/") {
		t.Errorf("opened = %+v", opened)
	}

	var got []string
	for _, r := range srv.RequestLog() {
		got = append(got, r.String())
	}
	want := []string{
		"GET /api/v3/repos/acme/policy",
		"GET /api/v3/repos/acme/policy/git/ref/heads/main",
		"GET /api/v3/repos/acme/policy/git/commits/" + baseCommit,
		"POST /api/v3/repos/acme/policy/git/blobs",
		"POST /api/v3/repos/acme/policy/git/trees",
		"POST /api/v3/repos/acme/policy/git/commits",
		"POST /api/v3/repos/acme/policy/git/refs",
		"POST /api/v3/repos/acme/policy/pulls",
		"POST /api/v3/repos/acme/policy/issues/1/labels",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("requests (-want +got):\n%s", diff)
	}
	log := srv.RequestLog()
	bodyOf := func(i int) map[string]any {
		var v map[string]any
		if err := json.Unmarshal([]byte(log[i].Body), &v); err != nil {
			t.Fatalf("%s: body %q: %v", log[i], log[i].Body, err)
		}
		return v
	}
	if diff := cmp.Diff(map[string]any{"content": base64.StdEncoding.EncodeToString([]byte("kept, edited\n")), "encoding": "base64"}, bodyOf(3)); diff != "" {
		t.Errorf("blob (-want +got):\n%s", diff)
	}
	tree := bodyOf(4)
	entries := tree["tree"].([]any)
	// Deleting a file is an entry with "sha": null, on top of the base tree.
	del := entries[1].(map[string]any)
	if v, ok := del["sha"]; !ok || v != nil || del["path"] != "identities/old.yaml" || tree["base_tree"] == "" {
		t.Errorf("tree request = %s", log[4].Body)
	}
	if diff := cmp.Diff(map[string]any{"ref": "refs/heads/nhigate/sweep-2026-11-25", "sha": opened.Commit}, bodyOf(6)); diff != "" {
		t.Errorf("ref (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"title": "nhigate: revoke expired grants", "head": "nhigate/sweep-2026-11-25", "base": "main", "body": "the body", "draft": false}, bodyOf(7)); diff != "" {
		t.Errorf("pull (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(map[string]string{"identities/keep.yaml": "kept, edited\n"}, gd.Files("acme", "policy", "nhigate/sweep-2026-11-25")); diff != "" {
		t.Errorf("branch files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"identities/old.yaml": "old\n", "identities/keep.yaml": "keep\n"}, gd.Files("acme", "policy", "main")); diff != "" {
		t.Errorf("main changed (-want +got):\n%s", diff)
	}
	msg, parents := gd.CommitMessage("acme", "policy", opened.Commit)
	if msg != "sweep: revoke expired grants" || !cmp.Equal(parents, []string{baseCommit}) {
		t.Errorf("commit = %q %v", msg, parents)
	}
	pulls := gd.Pulls("acme", "policy")
	wantPulls := []ghtest.CreatedPull{{Number: 1, Title: "nhigate: revoke expired grants", Body: "the body", Head: "nhigate/sweep-2026-11-25",
		Base: "main", Labels: []string{"nhigate:revocation"}, HeadSHA: opened.Commit, BaseSHA: baseCommit}}
	if diff := cmp.Diff(wantPulls, pulls); diff != "" {
		t.Errorf("pulls (-want +got):\n%s", diff)
	}
}

func TestOpenChangeRefuses(t *testing.T) {
	tests := []struct {
		name     string
		change   Change
		requests int // reads made before refusing
		want     string
	}{
		{"the default branch", Change{Base: "release", Branch: "main"}, 1, "main is the default branch; nhigate never writes to it"},
		{"the base itself", Change{Base: "main", Branch: "main"}, 0, "never writes to the base branch"},
		{"an escaping path", Change{Base: "main", Branch: "x", Files: map[string][]byte{"../etc/passwd": nil}}, 0, `invalid path "../etc/passwd"`},
		{"a bad branch", Change{Base: "main", Branch: "a..b/../c"}, 0, "invalid branch"},
		{"no files", Change{Base: "main", Branch: "x", Files: map[string][]byte{}}, 0, "the change has no files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, _ := setup(t)
			gd := srv.EnableGitData()
			gd.AddRepo("acme", "policy", "main", map[string]string{"a.yaml": "a"})
			tt.change.Owner, tt.change.Repo = "acme", "policy"
			if tt.change.Files == nil {
				tt.change.Files = map[string][]byte{"a.yaml": nil}
			}
			_, err := c.OpenChange(context.Background(), tt.change)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("made %d requests %v, want %d", n, srv.Requests(), tt.requests)
			}
		})
	}
}

// A change computed on an old base is refused before anything is written.
func TestOpenChangeBaseMoved(t *testing.T) {
	c, srv, _ := setup(t)
	gd := srv.EnableGitData()
	gd.AddRepo("acme", "policy", "main", map[string]string{"a.yaml": "a"})
	_, err := c.OpenChange(context.Background(), Change{Owner: "acme", Repo: "policy", Branch: "nhigate/x",
		BaseSHA: oldSHA, Files: map[string][]byte{"a.yaml": nil}, Message: "m", Title: "t"})
	if err == nil || !strings.Contains(err.Error(), "where the change was computed: fetch and run again") {
		t.Fatalf("err = %v", err)
	}
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("wrote %s", r)
		}
	}
	if got := gd.Branches("acme", "policy"); !cmp.Equal(got, []string{"main"}) {
		t.Errorf("branches = %v", got)
	}
}
