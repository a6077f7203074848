package rendertest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nhigate/nhigate/render"
)

// One layout for every target: files under txtar headers, a refusal as a
// comment naming one field a line, even where a message holds "; ".
func TestArchive(t *testing.T) {
	files := []render.File{{Name: "a/policy.json", Data: []byte("{}\n")}, {Name: "a/role.json", Data: []byte("{}")}}
	refusal := render.Errors{render.Fieldf("spec.ttl", "too long; write 1h"), render.Fieldf("spec.identity.name", "not a name")}
	for _, tc := range []struct {
		name  string
		files []render.File
		err   error
		want  string
	}{
		{"files", files, nil, "-- a/policy.json --\n{}\n-- a/role.json --\n{}\n"},
		{"refusal", nil, refusal, "refused:\nspec.ttl: too long; write 1h\nspec.identity.name: not a name\n"},
		{"wrapped refusal", nil, errors.Join(errors.New("render"), refusal), "refused:\nspec.ttl: too long; write 1h\nspec.identity.name: not a name\n"},
		{"other error", nil, errors.New("disk full"), "refused:\ndisk full\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, string(Archive(tc.files, tc.err))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
