# Package nhigate.entitlements keeps grants explicit: every entitlement names
# its actions and resources, and production grants carry no service- or
# account-wide wildcard (see lib.broad_action and lib.broad_resource for the
# exact definition).
package nhigate.entitlements

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

deny_nhi_ent_001 contains lib.result("NHI-ENT-001", path, msg) if {
	lib.production
	some [path, a] in lib.wildcards
	path[3] == "actions"
	lib.broad_action(a)
	msg := sprintf("action %q grants a whole service in %s: list the exact actions, e.g. s3:GetObject instead of s3:*", [a, lib.env_name])
}

deny_nhi_ent_002 contains lib.result("NHI-ENT-002", path, msg) if {
	lib.production
	some [path, r] in lib.wildcards
	path[3] == "resources"
	lib.broad_resource(r)
	msg := sprintf("resource %q covers a whole account or service in %s: name the resource, e.g. arn:aws:s3:::payments-artifacts/*", [r, lib.env_name])
}

deny_nhi_ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements"], msg) if {
	not has_entitlements
	msg := sprintf("spec.entitlements is %s: list at least one entitlement with actions and resources", [lib.shown(["spec", "entitlements"])])
}

deny_nhi_ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i], msg) if {
	some i, e in input.spec.entitlements
	not is_object(e)
	msg := sprintf("spec.entitlements[%v] is %s: write a mapping with actions and resources", [i, json.marshal(e)])
}

deny_nhi_ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key], msg) if {
	some i, e in input.spec.entitlements
	is_object(e)
	some key in ["actions", "resources"]
	not non_empty_list(e, key)
	msg := sprintf("spec.entitlements[%v].%s is %s: list them explicitly; a missing list can mean all %s on some platforms", [i, key, lib.shown(["spec", "entitlements", i, key]), key])
}

deny_nhi_ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key, j], msg) if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	is_array(e[key])
	some j, v in e[key]
	not is_string(v)
	msg := sprintf("spec.entitlements[%v].%s[%v] is %s: write a non-empty string", [i, key, j, json.marshal(v)])
}

deny_nhi_ent_003 contains lib.result("NHI-ENT-003", ["spec", "entitlements", i, key, j], msg) if {
	some i, e in input.spec.entitlements
	some key in ["actions", "resources"]
	is_array(e[key])
	some j, v in e[key]
	trim_space(v) == ""
	msg := sprintf("spec.entitlements[%v].%s[%v] is %s: write a non-empty string", [i, key, j, json.marshal(v)])
}

has_entitlements if {
	is_array(input.spec.entitlements)
	count(input.spec.entitlements) > 0
}

non_empty_list(e, key) if {
	is_array(e[key])
	count(e[key]) > 0
}
