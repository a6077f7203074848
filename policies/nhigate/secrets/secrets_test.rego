package nhigate_test.secrets

import data.nhigate_test.fixtures as t

test_nhi_sec_001_pass if {
	count(t.results("secrets", "deny_nhi_sec_001", t.spec)) == 0
}

test_nhi_sec_001_pass_placeholder_url if {
	count(t.results("secrets", "deny_nhi_sec_001", t.set("/spec/entitlements/0/conditions", {"dsn": "postgres://app:${DB_PASSWORD}@db/payments"}))) == 0
}

test_nhi_sec_001_fail_prompt if {
	doc := t.set("/metadata/provenance/prompt", "use key AKIAIOSFODNN7EXAMPLE for the bucket")
	r := t.only(t.results("secrets", "deny_nhi_sec_001", doc))
	r.msg == "NHI-SEC-001 metadata.provenance.prompt holds what looks like an AWS access key id: remove it from the spec, revoke it, and refer to secrets by name only"
	r.field == "metadata.provenance.prompt"
	not contains(r.msg, "AKIA")
}

# The samples are assembled at run time so that secret scanners do not flag
# this file.
x36 := "abcdefghijklmnopqrstuvwxyz0123456789"

samples := {
	"a private key": concat("", ["-----BEGIN OPENSSH ", "PRIVATE KEY-----"]),
	"a GitHub token": concat("", ["gh", "p_", x36]),
	"a Slack token": concat("", ["xo", "xb-", "1234567890-abcdef"]),
	"a Google API key": concat("", ["AI", "za", x36]),
	"a JSON Web Token": concat(".", ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiJhbGljZSJ9", "c2lnbmF0dXJlLXNpZw"]),
	"a Stripe secret key": concat("", ["sk", "_live_", x36]),
	"a password in a URL": concat("", ["https://ci:", "hunter2", "@registry.example.com/v2"]),
}

test_nhi_sec_001_fail_every_kind if {
	every kind, value in samples {
		doc := t.set("/spec/entitlements/0/conditions", {"note": [value]})
		r := t.only(t.results("secrets", "deny_nhi_sec_001", doc))
		r.msg == sprintf("NHI-SEC-001 spec.entitlements[0].conditions.note[0] holds what looks like %s: remove it from the spec, revoke it, and refer to secrets by name only", [kind])
		r.field == "spec.entitlements[0].conditions.note[0]"
	}
}

# The markers are searched in the document's text, where strings are
# quoted: a secret between characters that quoting escapes, in a key's
# value nested in a list, is still found.
test_nhi_sec_001_fail_between_escaped_characters if {
	value := concat("", ["\"\n\\", "gh", "p_", x36, "\"\t\u00e9"])
	doc := t.set("/spec/entitlements/0/conditions", {"a\"b": [{"c\nd": value}]})
	r := t.only(t.results("secrets", "deny_nhi_sec_001", doc))
	r.msg == "NHI-SEC-001 spec.entitlements[0].conditions.a\"b[0].c\nd holds what looks like a GitHub token: remove it from the spec, revoke it, and refer to secrets by name only"
}

# A secret written as a key is reported at the mapping that holds it, and
# neither the field nor the message repeats it, nor the path of a secret
# value below it.
test_nhi_sec_001_fail_key if {
	key := concat("", ["AK", "IAIOSFODNN7EXAMPLE"])
	doc := t.set("/spec/entitlements/0/conditions", {key: {"token": concat("", ["gh", "p_", x36])}})
	r := t.only(t.results("secrets", "deny_nhi_sec_001", doc))
	r.msg == "NHI-SEC-001 spec.entitlements[0].conditions has a key that looks like an AWS access key id: remove it from the spec, revoke it, and refer to secrets by name only"
	r.field == "spec.entitlements[0].conditions"
}
