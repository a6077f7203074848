# Package nhigate.secrets denies secret values written into a spec. A spec,
# and its prompt, end up in pull requests, logs and signed attestations, so
# a secret there is leaked. Messages never repeat the secret.
package nhigate.secrets

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

secret_kinds := {
	"an AWS access key id": `(^|[^A-Z0-9])(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}([^A-Z0-9]|$)`,
	"a private key": `-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`,
	"a GitHub token": `(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})`,
	"a Slack token": `xox[abposr]-[A-Za-z0-9-]{10,}`,
	"a Google API key": `AIza[0-9A-Za-z_-]{35}`,
	"a JSON Web Token": `eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
	"a Stripe secret key": `[rs]k_live_[0-9A-Za-z]{20,}`,
	"a password in a URL": `[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@${}]+@`,
}

# markers holds a literal that every kind of secret contains. The text of
# a document contains one whenever one of its strings holds a secret, so
# clean documents cost one formatting and a few substring searches, not a
# regex per string. (Go's regexp searches these literals as alternatives 30
# times slower than contains.) The text is Rego's (sprintf %v), which writes
# each string quoted as Go does: it escapes only ", \ and unprintable
# characters, none of which a marker has, so a marker in a string stays
# whole in the text. (It is several times cheaper than json.marshal.)
markers := ["AKIA", "ASIA", "ABIA", "ACCA", "PRIVATE KEY", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AIza", "eyJ", "k_live_", "://"]

suspicious if {
	text := sprintf("%v", [input])
	some marker in markers
	contains(text, marker)
}

deny_nhi_sec_001 contains lib.result_at("NHI-SEC-001", f, msg) if {
	suspicious
	walk(input, [path, value])
	is_string(value)
	not secret_in_path(path)
	some kind, pattern in secret_kinds
	regex.match(pattern, value)
	f := lib.fmt_path(path)
	msg := sprintf("%s holds what looks like %s: remove it from the spec, revoke it, and refer to secrets by name only", [f, kind])
}

# A secret written as a mapping key is reported at the mapping that holds
# it. The key is never written out: not in the field, not in the message,
# and not in the path of a value below it, which the rule above leaves to
# this one.
deny_nhi_sec_001 contains lib.result_at("NHI-SEC-001", f, msg) if {
	suspicious
	walk(input, [path, value])
	is_object(value)
	not secret_in_path(path)
	some key, _ in value
	some kind, pattern in secret_kinds
	regex.match(pattern, key)
	f := lib.fmt_path(path)
	msg := sprintf("%s has a key that looks like %s: remove it from the spec, revoke it, and refer to secrets by name only", [place(f), kind])
}

place(f) := f if f != "" else := "the document"

secret_in_path(path) if {
	some k in path
	is_string(k)
	some pattern in secret_kinds
	regex.match(pattern, k)
}
