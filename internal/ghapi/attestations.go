package ghapi

import (
	"context"
	"encoding/json"
	"fmt"
)

// UploadAttestation stores a Sigstore bundle with the repository's
// attestations (POST /repos/{owner}/{repo}/attestations), where
// "gh attestation verify" finds it by the subject's digest. It returns the
// attestation's id.
func (c *Client) UploadAttestation(ctx context.Context, owner, repo string, bundle []byte) (int64, error) {
	op := fmt.Sprintf("upload an attestation to %s/%s", owner, repo)
	if err := checkRepo(owner, repo); err != nil {
		return 0, c.fail(op, err)
	}
	if !json.Valid(bundle) {
		return 0, c.fail(op, fmt.Errorf("the bundle is not JSON"))
	}
	body := struct {
		Bundle json.RawMessage `json:"bundle"`
	}{bundle}
	req, err := c.gh.NewRequest("POST", fmt.Sprintf("repos/%s/%s/attestations", owner, repo), body)
	if err != nil {
		return 0, c.fail(op, err)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if _, err := c.gh.Do(ctx, req, &out); err != nil {
		return 0, c.fail(op, err)
	}
	return out.ID, nil
}
