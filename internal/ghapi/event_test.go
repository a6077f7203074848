package ghapi

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readPayload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEvent(t *testing.T) {
	const (
		head = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
		base = "9049f1265b7d61be4a8904a9a27120d2064dab3b"
	)
	for _, tc := range []struct {
		name, file string
		want       *Event
	}{
		{"pull_request", "pull_request.opened.json", &Event{
			Name: "pull_request", Action: "opened", Owner: "acme", Repo: "nhi-policy", Number: 7,
			HeadSHA: head, BaseSHA: base, BaseRef: "main", DefaultBranch: "main", HeadRef: "nhigate/payments-ci", Author: "chatops-bot[bot]",
		}},
		{"pull_request", "pull_request.synchronize.fork.json", &Event{
			Name: "pull_request", Action: "synchronize", Owner: "acme", Repo: "nhi-policy", Number: 8,
			HeadSHA: head, BaseSHA: base, BaseRef: "main", DefaultBranch: "main", HeadRef: "main", Fork: true, Author: "mallory",
		}},
		{"pull_request_review", "pull_request_review.submitted.json", &Event{
			Name: "pull_request_review", Action: "submitted", Owner: "acme", Repo: "nhi-policy", Number: 7,
			HeadSHA: head, BaseSHA: base, BaseRef: "main", DefaultBranch: "main", HeadRef: "nhigate/payments-ci", Author: "chatops-bot[bot]",
		}},
		{"merge_group", "merge_group.checks_requested.json", &Event{
			Name: "merge_group", Action: "checks_requested", Owner: "acme", Repo: "nhi-policy",
			HeadSHA: head, BaseSHA: base, BaseRef: "main", DefaultBranch: "main", HeadRef: "gh-readonly-queue/main/pr-7-" + base,
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ParseEvent(tc.name, readPayload(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEventUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
		wantMsg string
	}{
		{"push", []byte(`{"ref": "refs/heads/main"}`), `does not review "push" events`},
		{"pull_request_target", []byte(`{}`), `does not review "pull_request_target" events`},
		{"pull_request", readPayload(t, "pull_request.closed.json"), `action "closed": limit the workflow's trigger to types [opened, synchronize, reopened, ready_for_review, edited]`},
		{"pull_request_review", []byte(`{"action": "deleted"}`), `action "deleted"`},
		{"merge_group", []byte(`{"action": "destroyed"}`), `action "destroyed"`},
	} {
		_, err := ParseEvent(tc.name, tc.payload)
		var ue *UnsupportedEventError
		if !errors.As(err, &ue) {
			t.Errorf("ParseEvent(%s): err = %v, want *UnsupportedEventError", tc.name, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("ParseEvent(%s): err = %q, want %q", tc.name, err, tc.wantMsg)
		}
	}
}

func TestParseEventInvalid(t *testing.T) {
	opened := string(readPayload(t, "pull_request.opened.json"))
	for _, tc := range []struct {
		name, payload, wantMsg string
	}{
		{"not JSON", `{"action": "opened"`, "parse pull_request event payload"},
		{"no pull request", `{"action": "opened", "repository": {"name": "p", "owner": {"login": "o"}}}`, "head SHA"},
		{"no repository", `{"action": "opened", "pull_request": {"number": 1}}`, "repository.owner.login"},
		{"short SHA", strings.Replace(opened, "6dcb09b5b57875f334f61aebed695e2e4193db5e", "6dcb09b", 1), "head SHA"},
		{"bad owner", string(editPayload(t, "pull_request.opened.json", func(p map[string]any) {
			p["repository"].(map[string]any)["owner"].(map[string]any)["login"] = "../acme"
		})), "repository.owner.login"},
		{"no default branch", string(editPayload(t, "pull_request.opened.json", func(p map[string]any) {
			delete(p["repository"].(map[string]any), "default_branch")
		})), "repository.default_branch"},
		{"no number", strings.Replace(opened, `"number": 7,`, `"number": 0,`, -1), "pull_request.number"},
		{"array", `[]`, "parse pull_request event payload"},
	} {
		_, err := ParseEvent("pull_request", []byte(tc.payload))
		if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantMsg)
		}
	}
	if _, err := ParseEvent("pull_request", make([]byte, maxPayload+1)); err == nil {
		t.Error("a payload over 25 MiB was accepted")
	}
}

// merge_commit_sha names the test merge; it reaches git, so it must be a
// full SHA, never a revision expression.
func TestParseEventMergeSHA(t *testing.T) {
	const merge = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
	for _, tc := range []struct {
		name    string
		value   any
		want    string
		wantErr string
	}{
		{"set", merge, merge, ""},
		{"null: not computed yet, or a conflict", nil, "", ""},
		{"a revision expression", "main^2", "", "merge_commit_sha"},
		{"short", merge[:7], "", "merge_commit_sha"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := editPayload(t, "pull_request.opened.json", func(p map[string]any) {
				p["pull_request"].(map[string]any)["merge_commit_sha"] = tc.value
			})
			ev, err := ParseEvent("pull_request", payload)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case ev.MergeSHA != tc.want:
				t.Errorf("MergeSHA = %q, want %q", ev.MergeSHA, tc.want)
			}
		})
	}
}

// A pull request whose head repository was deleted has "repo": null: treat
// it as a fork, whose token is read-only.
func TestParseEventDeletedHeadRepo(t *testing.T) {
	payload := editPayload(t, "pull_request.synchronize.fork.json", func(p map[string]any) {
		p["pull_request"].(map[string]any)["head"].(map[string]any)["repo"] = nil
	})
	ev, err := ParseEvent("pull_request", payload)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Fork {
		t.Error("Fork = false for a deleted head repository")
	}
}

func editPayload(t *testing.T, file string, edit func(map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(readPayload(t, file), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseEvent(f *testing.F) {
	for _, tc := range []struct{ name, file string }{
		{"pull_request", "pull_request.opened.json"},
		{"pull_request", "pull_request.synchronize.fork.json"},
		{"pull_request", "pull_request.closed.json"},
		{"pull_request_review", "pull_request_review.submitted.json"},
		{"merge_group", "merge_group.checks_requested.json"},
	} {
		f.Add(tc.name, readPayload(f, tc.file))
	}
	f.Add("pull_request", []byte(`{"action": "opened", "pull_request": null}`))
	f.Add("merge_group", []byte(`{"action": "checks_requested", "merge_group": {"head_sha": 1}}`))
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		ev, err := ParseEvent(name, payload)
		if err != nil {
			if ev != nil {
				t.Errorf("ParseEvent returned an event and an error")
			}
			return
		}
		// What it accepts is safe to put in an API path or a git command.
		if !validName(ev.Owner) || !validName(ev.Repo) || !validSHA(ev.HeadSHA) || !validSHA(ev.BaseSHA) || ev.BaseRef == "" || ev.DefaultBranch == "" ||
			(ev.MergeSHA != "" && !validSHA(ev.MergeSHA)) {
			t.Errorf("ParseEvent accepted %+v", ev)
		}
		if ev.Name != name || (name != "merge_group" && (ev.Number <= 0 || ev.Author == "")) {
			t.Errorf("ParseEvent accepted %+v for %q", ev, name)
		}
	})
}

// The default branch comes from the repository, not from the pull request's
// base, which its author chooses.
func TestParseEventDefaultBranch(t *testing.T) {
	payload := editPayload(t, "pull_request.opened.json", func(p map[string]any) {
		p["repository"].(map[string]any)["default_branch"] = "trunk"
		p["pull_request"].(map[string]any)["base"].(map[string]any)["ref"] = "weak"
	})
	ev, err := ParseEvent("pull_request", payload)
	if err != nil {
		t.Fatal(err)
	}
	if ev.DefaultBranch != "trunk" || ev.BaseRef != "weak" {
		t.Errorf("DefaultBranch, BaseRef = %q, %q; want trunk, weak", ev.DefaultBranch, ev.BaseRef)
	}
}
