package ghapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nhigate/nhigate/internal/ghtest"
)

// assertNoToken fails if the token shows in err, in any of the ways a
// caller might print it or anything it wraps.
func assertNoToken(t *testing.T, name string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", name)
		return
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, format := range []string{"%v", "%+v", "%s", "%q"} {
			s := fmt.Sprintf(format, e)
			if strings.Contains(s, "SECRET123") {
				t.Errorf("%s: the token shows in the error (%s): %s", name, format, s)
			}
			if l := leak(s, testToken); l != "" {
				t.Errorf("%s: a form of the token shows in the error (%s, %s): %s", name, format, l, s)
			}
		}
	}
}

// echo answers with the request's Authorization header in every field of a
// GitHub error, as a misbehaving proxy might.
func echo(status int, headers map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message": "token %[1]s refused", "errors": [{"resource": "%[1]s", "code": "custom", "message": "%[1]s"}], "documentation_url": "https://docs.github.com/?t=%[1]s"}`, auth)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	ctx := context.Background()
	later := unix(time.Now().Add(time.Hour))

	calls := map[string]func(c *Client) error{
		"Info": func(c *Client) error {
			_, err := c.PullRequest("acme", "policy", 7).Info(ctx)
			return err
		},
		"Reviews": func(c *Client) error {
			_, err := c.PullRequest("acme", "policy", 7).Reviews(ctx)
			return err
		},
		"IsTeamMember": func(c *Client) error {
			_, err := c.PullRequest("acme", "policy", 7).IsTeamMember(ctx, "acme", "security", "alice")
			return err
		},
		"Commits": func(c *Client) error {
			_, err := c.PullRequest("acme", "policy", 7).Commits(ctx)
			return err
		},
		"Permission": func(c *Client) error {
			_, err := c.PullRequest("acme", "policy", 7).Permission(ctx, "alice")
			return err
		},
		"UpsertComment": func(c *Client) error {
			_, err := c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, "report "+testToken)
			return err
		},
		"SetStatus": func(c *Client) error {
			return c.SetStatus(ctx, "acme", "policy", headSHA, StatusSuccess, "", testToken, "")
		},
		"ListFiles": func(c *Client) error {
			_, err := c.ListFiles(ctx, "acme", "policy", 7)
			return err
		},
	}
	answers := map[string]http.HandlerFunc{
		"401":           echo(401, nil),
		"403":           echo(403, nil),
		"404":           echo(404, nil),
		"422":           echo(422, nil),
		"500":           echo(500, nil),
		"502":           echo(502, nil),
		"primary limit": echo(403, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": later}),
		"primary 429":   echo(429, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": later}),
		"secondary 403": echo(403, map[string]string{"Retry-After": "3600"}),
		"secondary 429": echo(429, map[string]string{"Retry-After": "3600"}),
		"not JSON":      func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.Header.Get("Authorization")) },
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "ftp://"+testToken+"@x/?token="+testToken, http.StatusFound)
		},
		"slow": func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // else the server cannot see the client go
			<-r.Context().Done()
		},
		"hang up":        func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
		"empty 200 body": func(w http.ResponseWriter, r *http.Request) {},
	}
	// The token in every form a server could echo, in every field of an
	// error.
	for fname, form := range forms(testToken) {
		for _, status := range []int{404, 422} {
			answers[fmt.Sprintf("%d echoing %s", status, fname)] = func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"message": "token %[1]s refused", "errors": [{"resource": "%[1]s", "code": "custom", "message": "%[1]s"}], "documentation_url": "https://docs.github.com/?t=%[1]s"}`, form)
			}
		}
	}
	for aname, answer := range answers {
		srv := httptest.NewServer(answer)
		t.Cleanup(srv.Close)
		c, err := New(Options{
			Token: testToken, BaseURL: srv.URL, MaxRetries: 1, Timeout: 50 * time.Millisecond,
			MaxRateLimitWait: time.Second, Sleep: func(time.Duration) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		for cname, call := range calls {
			err := call(c)
			if aname == "empty 200 body" && err == nil {
				continue // an empty answer may read as "nothing there"
			}
			if cname == "Permission" && strings.HasPrefix(aname, "404") && err == nil {
				continue // a 404 is GitHub not knowing the user: no access, no error
			}
			assertNoToken(t, aname+"/"+cname, err)
		}
	}

	// A server that is not there.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, err := New(Options{Token: testToken, BaseURL: closed.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	for cname, call := range calls {
		assertNoToken(t, "connection refused/"+cname, call(c))
	}

	// Options and arguments that carry the token by mistake.
	for _, base := range []string{
		"https://x-access-token:" + testToken + "@ghe.example.com",
		"https://ghe.example.com/api/v3?access_token=" + testToken,
		"https://ghe.example.com/#" + testToken,
		"ftp://" + testToken,
		"https://ghe.example.com/%" + testToken,
	} {
		_, err := New(Options{Token: testToken, BaseURL: base})
		assertNoToken(t, "New("+base+")", err)
	}
	srv := ghtest.NewServer()
	t.Cleanup(srv.Close)
	c, err = New(Options{Token: testToken, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	assertNoToken(t, "SetStatus target", c.SetStatus(ctx, "acme", "policy", headSHA, StatusSuccess, "", "", "javascript:"+testToken))
	assertNoToken(t, "SetStatus target userinfo", c.SetStatus(ctx, "acme", "policy", headSHA, StatusSuccess, "", "", "ftp://u:"+testToken+"@x"))
	assertNoToken(t, "SetStatus sha", c.SetStatus(ctx, "acme", "policy", testToken, StatusSuccess, "", "", ""))
	assertNoToken(t, "SetStatus state", c.SetStatus(ctx, "acme", "policy", headSHA, testToken, "", "", ""))
	assertNoToken(t, "SetStatus repo", c.SetStatus(ctx, "acme", testToken+"/x", headSHA, StatusSuccess, "", "", ""))
	_, err = c.PullRequest(testToken, "x/y", 7).Info(ctx)
	assertNoToken(t, "Info owner", err)
	_, err = c.PullRequest("acme", "policy", 7).IsTeamMember(ctx, "acme", "security", testToken)
	assertNoToken(t, "IsTeamMember login", err)
	_, err = c.UpsertComment(ctx, "acme", "policy", 7, marker, DefaultCommentAuthor, strings.Repeat(testToken, 10000))
	assertNoToken(t, "UpsertComment long", err)
	_, err = c.UpsertComment(ctx, testToken, "policy", 7, marker, DefaultCommentAuthor, "x")
	assertNoToken(t, "UpsertComment owner", err)
	_, err = c.UpsertComment(ctx, "acme", "policy", 7, marker, testToken, "x")
	assertNoToken(t, "UpsertComment author", err)
}
