package github

import (
	"strings"
	"testing"
)

// encoding/json matches keys to fields in any case and keeps the last of
// two: a request naming one repository, then "Repositories": null, was
// imported as every repository of the owner (acme/*), and two levels of
// one permission as the last one.
func TestImportRefusesDuplicateKeys(t *testing.T) {
	manifest := func(body string) string {
		return `{"app": "release-app", "owner": "acme", "tokenLifetime": "1h", "notes": [], "requests": [{"method": "POST", "path": "/app/installations/{installation_id}/access_tokens", "file": "access-tokens.json", "body": ` + body + `}]}`
	}
	if ps, err := Import("ok.json", []byte(manifest(`{"repositories": ["payments-api"], "permissions": {"contents": "read"}}`))); err != nil || ps[0].Entitlements[0].Resources[0] != "acme/payments-api" {
		t.Fatalf("a plain manifest: %+v, %v", ps, err)
	}
	for _, body := range []string{
		`{"repositories": ["payments-api"], "Repositories": null, "permissions": {"contents": "read"}}`,
		`{"repositories": ["payments-api"], "permissions": {"contents": "read"}, "PERMISSIONS": {"contents": "write"}}`,
		`{"repositories": ["payments-api"], "permissions": {"contents": "read", "contents": "write"}}`,
	} {
		ps, err := Import("dup.json", []byte(manifest(body)))
		if err == nil || !strings.Contains(err.Error(), "is set twice") {
			t.Errorf("%s: imported %+v, error %v", body, ps, err)
		}
	}
}
