# Package nhigate.ownership requires an accountable owner and the human who
# asked for the grant: an identity nobody owns is never offboarded.
package nhigate.ownership

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

deny_nhi_own_001 contains lib.result("NHI-OWN-001", ["metadata", "owner"], msg) if {
	not lib.non_empty(object.get(lib.doc, ["metadata", "owner"], null))
	msg := sprintf("metadata.owner is %s: name the accountable team or user, e.g. owner: \"@acme/payments\"", [lib.shown(["metadata", "owner"])])
}

deny_nhi_own_002 contains lib.result("NHI-OWN-002", ["metadata", "requester"], msg) if {
	not lib.non_empty(object.get(lib.doc, ["metadata", "requester"], null))
	msg := sprintf("metadata.requester is %s: name the GitHub login of the human who asked, e.g. requester: alice", [lib.shown(["metadata", "requester"])])
}
