package review

import (
	"fmt"
	"strings"

	"github.com/nhigate/nhigate/config"
	"github.com/nhigate/nhigate/diffing"
)

// ParseFailOnRisk reads the level of --fail-on-risk, Request.FailOnRisk:
// one of config.RiskLevels, exactly as written there; "" is no threshold
// (diffing.None). Anything else is a UsageError that lists the levels.
func ParseFailOnRisk(level string) (diffing.Risk, error) {
	if level == "" {
		return diffing.None, nil
	}
	var r diffing.Risk
	if err := r.UnmarshalText([]byte(level)); err != nil || r == diffing.None || level != r.String() {
		return diffing.None, failOnRiskError(level)
	}
	return r, nil
}

// checkFailOnRisk holds a request's threshold to the levels ParseFailOnRisk
// gives, so that a caller that sets the field directly fails closed too.
func checkFailOnRisk(r diffing.Risk) error {
	if r < diffing.None || r > diffing.Critical {
		return failOnRiskError(fmt.Sprint(int(r)))
	}
	return nil
}

func failOnRiskError(level string) error {
	return &UsageError{fmt.Errorf("--fail-on-risk %q is not a risk level; write one of: %s", level, strings.Join(config.RiskLevels, ", "))}
}
