package ghapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nhigate/nhigate/internal/ghapi"
	"github.com/nhigate/nhigate/internal/ghtest"
)

func TestUploadAttestation(t *testing.T) {
	srv := ghtest.NewServer()
	defer srv.Close()
	att := srv.EnableAttestations()
	c, err := ghapi.New(ghapi.Options{Token: srv.Token, BaseURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	bundle := `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":{}}`
	id, err := c.UploadAttestation(context.Background(), "acme", "policies", []byte(bundle))
	if err != nil || id != 1 {
		t.Fatalf("UploadAttestation = %d, %v", id, err)
	}
	stored := att.Stored("acme", "policies")
	if len(stored) != 1 || string(stored[0]) != bundle {
		t.Errorf("stored %q, want the bundle as sent", stored)
	}
	for _, r := range srv.RequestLog() {
		if r.Method == "POST" && r.Path == "/repos/acme/policies/attestations" && !strings.HasPrefix(r.Body, `{"bundle":{"mediaType"`) {
			t.Errorf("request body %s, want {\"bundle\": <the bundle>}", r.Body)
		}
	}

	// Not JSON: refused before any request.
	before := len(srv.RequestLog())
	if _, err := c.UploadAttestation(context.Background(), "acme", "policies", []byte("garbage")); err == nil {
		t.Error("uploaded a bundle that is not JSON")
	}
	if len(srv.RequestLog()) != before {
		t.Error("a request was sent for a bundle that is not JSON")
	}

	// A read-only token cannot upload, and the error says so without the token.
	srv.Mu.Lock()
	srv.ReadOnly = true
	srv.Mu.Unlock()
	_, err = c.UploadAttestation(context.Background(), "acme", "policies", []byte(bundle))
	if err == nil || strings.Contains(err.Error(), srv.Token) {
		t.Errorf("read-only upload: err = %v", err)
	}
}
