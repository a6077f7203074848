# Package nhigate.sod enforces separation of duties: the requester never
# approves their own request, and when the spec's risk tier says
# ownerMayApprove: false, someone other than the owner must be required.
package nhigate.sod

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

owner := object.get(lib.doc, ["metadata", "owner"], null)

requester := object.get(lib.doc, ["metadata", "requester"], null)

deny_nhi_sod_001 contains lib.result("NHI-SOD-001", ["spec", "approvals", "required", i], msg) if {
	lib.non_empty(requester)
	some i, a in input.spec.approvals.required
	lib.non_empty(a)
	lib.norm(a) == lib.norm(requester)
	msg := sprintf("the requester %s is listed in spec.approvals.required: a requester never approves their own request; name an independent approver instead", [requester])
}

deny_nhi_sod_002 contains lib.result("NHI-SOD-002", ["spec", "approvals", "required"], msg) if {
	lib.has_config
	not lib.owner_may_approve
	not independent_approver
	msg := sprintf("risk tier %s (%s) does not let the owner (%s) approve its own grant, and spec.approvals.required names no one else: add an independent approver such as \"@acme/security\"", [lib.tier, lib.tier_reason, lib.shown(["metadata", "owner"])])
}

independent_approver if {
	some a in lib.approvers
	not same(a, owner)
	not same(a, requester)
}

same(a, who) if {
	lib.non_empty(who)
	a == lib.norm(who)
}
