package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/internal/ghapi"
)

// TestOutsideErrors checks that failures outside nhigate (GitHub, the
// network, timeouts) keep exit 3 but say what to do, never "report it".
func TestOutsideErrors(t *testing.T) {
	api := func(status int) error {
		return fmt.Errorf("post comment: %w", &ghapi.Error{Op: "create comment", Method: "POST", URL: "https://api.github.com/repos/a/b/issues/1/comments", StatusCode: status, Message: "x"})
	}
	tests := []struct {
		name string
		err  error
		want string // in stderr; "" for an internal error
	}{
		{"401", api(http.StatusUnauthorized), "Pass a valid token"},
		{"403", api(http.StatusForbidden), "Grant the workflow the permission"},
		{"404", api(http.StatusNotFound), "Check GITHUB_REPOSITORY"},
		{"422", api(http.StatusUnprocessableEntity), "GitHub refused the request as invalid"},
		{"502", api(http.StatusBadGateway), "GitHub failed; re-run the job"},
		{"418", api(http.StatusTeapot), "GitHub refused the call"},
		{"rate limit", &ghapi.RateLimitError{Op: "list reviews"}, "rate limit stopped the run"},
		{"truncated", &ghapi.TruncatedError{Op: "list files", Listed: 3000}, "fetch-depth: 0"},
		{"timeout", fmt.Errorf("get pull: %w", context.DeadlineExceeded), "did not answer in time"},
		{"network", &url.Error{Op: "Get", URL: "https://ghe.example/api/v3", Err: errors.New("connection refused")}, "The network failed"},
		{"bug", errors.New("policy result for unknown document"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := outside(tc.err)
			if (got == "") != (tc.want == "") || !strings.Contains(got, tc.want) {
				t.Errorf("outside(%v) = %q, want %q", tc.err, got, tc.want)
			}
			if code := ExitCode(tc.err); code != ExitInternal {
				t.Errorf("exit %d, want %d: no pass", code, ExitInternal)
			}
		})
	}
}
