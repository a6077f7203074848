# Package nhigate.entitlements keeps grants explicit: every entitlement names
# its actions and resources in printable ASCII, and production grants carry
# no broad pattern: none that covers everything, a sensitive action, every
# action of a service, every resource of a type or every account (see
# lib.broad_action and lib.broad_resource, judged against the catalog in
# data.nhigate.catalog).
package nhigate.entitlements

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

deny_nhi_ent_001 contains lib.result("NHI-ENT-001", path, msg) if {
	lib.production
	some path, a in patterns("actions")
	v := lib.broad_action(a)
	msg := sprintf("action %q %s in %s: %s", [a, v.why, lib.env_name, v.fix])
}

# A sensitive action on a resource that names a whole scope or type is
# broad as a pair, even when both are literal: impersonate on users,
# roles/owner on a project, sudo on sys/raw, create on a namespace's pods
# (lib.broad_grant). It is reported at the action, once per resource, unless
# the action or the resource is broad on its own.
deny_nhi_ent_001 contains lib.result("NHI-ENT-001", ["spec", "entitlements", i, "actions", j], msg) if {
	lib.production
	some i, e in input.spec.entitlements
	some j, a in e.actions
	is_string(a)
	not lib.broad_action(a)
	some r in e.resources
	is_string(r)
	not lib.broad_resource(r)
	v := lib.broad_grant(a, r)
	msg := sprintf("action %q on resource %q %s in %s: %s", [a, r, v.why, lib.env_name, v.fix])
}

deny_nhi_ent_002 contains lib.result("NHI-ENT-002", path, msg) if {
	lib.production
	some path, r in patterns("resources")
	v := lib.broad_resource(r)
	msg := sprintf("resource %q %s in %s: %s", [r, v.why, lib.env_name, v.fix])
}

# patterns(key) maps the path of every string in the actions or resources
# lists to the string.
patterns(key) := {["spec", "entitlements", i, key, j]: v |
	some i, e in input.spec.entitlements
	some j, v in e[key]
	is_string(v)
}

# NHI-ENT-003: the entitlements are a list of mappings with lists of
# printable ASCII actions and resources (ent_003). nhigate's strict loader
# rejects a spec that breaks this before any policy runs, and the nhigate
# engine sets data.nhigate.loaded only for a document whose entitlements it
# has found so shaped itself (policies/loaded.go), so then no body of
# ent_003 can hold. conftest sets nothing and checks them all.
deny_nhi_ent_003 contains r if {
	not data.nhigate.loaded
	some r in ent_003
}

ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements"], msg) if {
	not has_entitlements
	msg := sprintf("spec.entitlements is %s: list at least one entitlement with actions and resources", [lib.shown(["spec", "entitlements"])])
}

ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i], msg) if {
	some i, e in input.spec.entitlements
	not is_object(e)
	msg := sprintf("spec.entitlements[%v] is %s: write a mapping with actions and resources", [i, json.marshal(e)])
}

ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key], msg) if {
	some i, e in input.spec.entitlements
	is_object(e)
	some key in ["actions", "resources"]
	not non_empty_list(e, key)
	msg := sprintf("spec.entitlements[%v].%s is %s: list them explicitly; a missing list can mean all %s on some platforms", [i, key, lib.shown(["spec", "entitlements", i, key]), key])
}

ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key, j], msg) if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	is_array(e[key])
	some j, v in e[key]
	not is_string(v)
	msg := sprintf("spec.entitlements[%v].%s[%v] is %s: write a non-empty string", [i, key, j, json.marshal(v)])
}

ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key, j], msg) if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	is_array(e[key])
	some j, v in e[key]
	trim_space(v) == ""
	msg := sprintf("spec.entitlements[%v].%s[%v] is %s: write a non-empty string", [i, key, j, json.marshal(v)])
}

# Actions and resources are printable ASCII, so that a look-alike letter, a
# full-width * or an invisible character cannot hide what a pattern covers.
# nhigate's loader rejects them first; this rule covers conftest.
ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key, j], msg) if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	is_array(e[key])
	some j, v in e[key]
	is_string(v)
	trim_space(v) != ""
	not regex.match(`^[!-~]+$`, v)
	before := regex.replace(v, `(?s)[^!-~].*$`, "")
	msg := sprintf("spec.entitlements[%v].%s[%v] has a character that is not printable ASCII after %s (character %d): write printable ASCII without spaces; a look-alike letter, a full-width * or an invisible character is not the character it looks like", [i, key, j, json.marshal(before), count(before) + 1])
}

has_entitlements if {
	is_array(input.spec.entitlements)
	count(input.spec.entitlements) > 0
}

non_empty_list(e, key) if {
	is_array(e[key])
	count(e[key]) > 0
}
