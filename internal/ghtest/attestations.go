package ghtest

import (
	"encoding/json"
	"net/http"
	"sync"
)

// Attestations is the fake attestations API, added to a Server with
// EnableAttestations; its state is its own, under its own lock.
type Attestations struct {
	srv    *Server
	mu     sync.Mutex
	stored map[string][]json.RawMessage // "owner/repo" -> bundles
}

// EnableAttestations adds POST /repos/{owner}/{repo}/attestations to s.
// Call it once.
func (s *Server) EnableAttestations() *Attestations {
	a := &Attestations{srv: s, stored: map[string][]json.RawMessage{}}
	for _, prefix := range []string{"", enterprisePath} {
		s.mux.HandleFunc("POST "+prefix+"/repos/{owner}/{repo}/attestations", a.create)
	}
	return a
}

// Stored returns the bundles uploaded to owner/repo, in order.
func (a *Attestations) Stored(owner, repo string) []json.RawMessage {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]json.RawMessage(nil), a.stored[owner+"/"+repo]...)
}

func (a *Attestations) create(w http.ResponseWriter, r *http.Request) {
	if a.srv.readOnly() {
		writeError(w, http.StatusForbidden, "Resource not accessible by integration", "https://docs.github.com/rest/users/attestations#create-an-attestation")
		return
	}
	var body struct {
		Bundle json.RawMessage `json:"bundle"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	var bundle struct {
		MediaType string `json:"mediaType"`
	}
	if len(body.Bundle) == 0 || json.Unmarshal(body.Bundle, &bundle) != nil || bundle.MediaType == "" {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"bundle\" is not a Sigstore bundle.", "https://docs.github.com/rest/users/attestations#create-an-attestation")
		return
	}
	key := r.PathValue("owner") + "/" + r.PathValue("repo")
	a.mu.Lock()
	a.stored[key] = append(a.stored[key], body.Bundle)
	id := len(a.stored[key])
	a.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
}
