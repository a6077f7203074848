package github

// permission is one GitHub App permission: the levels an installation token
// may ask for, and whether it holds on repositories ("repository") or on
// the whole account ("organization", "account").
type permission struct {
	levels []string
	scope  string
}
