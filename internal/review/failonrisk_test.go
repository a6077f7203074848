package review_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/diffing"
	"github.com/nhigate/nhigate/internal/review"
	"github.com/nhigate/nhigate/reviewer"
)

// --fail-on-risk takes exactly the levels .nhigate.yaml writes; anything
// else is a usage error that lists them, never a threshold of None.
func TestParseFailOnRisk(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  diffing.Risk
		usage bool
	}{
		{"", diffing.None, false},
		{"low", diffing.Low, false},
		{"medium", diffing.Medium, false},
		{"high", diffing.High, false},
		{"critical", diffing.Critical, false},
		{"none", diffing.None, true},
		{"High", diffing.None, true},
		{"HIGH", diffing.None, true},
		{" high", diffing.None, true},
		{"hіgh", diffing.None, true}, // Cyrillic і
		{"severe", diffing.None, true},
		{"3", diffing.None, true},
	} {
		got, err := review.ParseFailOnRisk(tc.level)
		var ue *review.UsageError
		if errors.As(err, &ue) != tc.usage || (err != nil && !tc.usage) {
			t.Errorf("ParseFailOnRisk(%q) error %v, want a usage error: %v", tc.level, err, tc.usage)
		}
		if tc.usage && (err == nil || !strings.Contains(err.Error(), "write one of: low, medium, high, critical")) {
			t.Errorf("ParseFailOnRisk(%q) = %v, want the levels listed", tc.level, err)
		}
		if got != tc.want {
			t.Errorf("ParseFailOnRisk(%q) = %v, want %v", tc.level, got, tc.want)
		}
	}
}

// A threshold set directly, outside the levels, fails closed before any
// work: it would otherwise never block.
func TestRunRefusesFailOnRiskOutOfRange(t *testing.T) {
	for _, r := range []diffing.Risk{diffing.Critical + 1, -1} {
		_, err := review.Run(context.Background(), review.Request{Scope: reviewer.ScopeDiff, Base: "a", Head: "b", FailOnRisk: r})
		var ue *review.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--fail-on-risk") {
			t.Errorf("Run with FailOnRisk %d = %v, want a --fail-on-risk usage error", r, err)
		}
	}
}
