package ghapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nhigate/nhigate/internal/ghtest"
)

const testToken = "ghp_SECRET123"

// sleeper records the waits a client asked for, without waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// setup returns a client talking to a fake GitHub with state, through the
// /api/v3 prefix like GitHub Enterprise Server.
func setup(t *testing.T, configure ...func(*Options)) (*Client, *ghtest.Server, *sleeper) {
	t.Helper()
	srv := ghtest.NewServer()
	t.Cleanup(srv.Close)
	srv.Token = testToken
	sl := &sleeper{}
	opts := Options{Token: testToken, BaseURL: srv.URL, Sleep: sl.Sleep, MaxRetries: 3}
	for _, f := range configure {
		f(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, sl
}

// setupMux returns a client and the mux behind its base URL, for handlers
// that assert requests one by one, as go-github's own tests do.
func setupMux(t *testing.T, configure ...func(*Options)) (*Client, *http.ServeMux, *sleeper) {
	t.Helper()
	mux := http.NewServeMux()
	api := http.NewServeMux()
	api.Handle("/api/v3/", http.StripPrefix("/api/v3", mux))
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	sl := &sleeper{}
	opts := Options{Token: testToken, BaseURL: srv.URL + "/api/v3/", Sleep: sl.Sleep, MaxRetries: 3}
	for _, f := range configure {
		f(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, mux, sl
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	if r.Method != want {
		t.Errorf("request method = %s, want %s", r.Method, want)
	}
}

func testAuth(t *testing.T, r *http.Request) {
	t.Helper()
	if got, want := r.Header.Get("Authorization"), "Bearer "+testToken; got != want {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
}

// testBody checks that the request body is the JSON want.
func testBody(t *testing.T, r *http.Request, want map[string]any) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("request body %q is not JSON: %v", b, err)
	}
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("request body = %s, want %s", gotJSON, wantJSON)
	}
}

const (
	headSHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	baseSHA = "9049f1265b7d61be4a8904a9a27120d2064dab3b"
	oldSHA  = "1111111111111111111111111111111111111111"
)

func addPR(srv *ghtest.Server) {
	srv.AddPullRequest(ghtest.PullRequest{
		Owner: "acme", Repo: "policy", Number: 7, Title: "grant payments-ci", Author: "chatops-bot[bot]",
		HeadSHA: headSHA, HeadRef: "nhigate/payments-ci", BaseSHA: baseSHA, BaseRef: "main",
	})
}
