# Package nhigate.risk applies the risk tier of a spec (see lib.tier): the
# tier's approvers must be among spec.approvals.required, and
# spec.approvals.minApprovals must reach the tier's minApprovals.
package nhigate.risk

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

deny_nhi_risk_001 contains lib.result("NHI-RISK-001", ["spec", "approvals", "required"], msg) if {
	lib.has_config
	some a in lib.tier_config.approvers
	lib.non_empty(a)
	not lib.norm(a) in lib.approvers
	msg := sprintf("risk tier %s (%s) requires approver %s: add %q to spec.approvals.required", [lib.tier, lib.tier_reason, a, a])
}

spec_min := input.spec.approvals.minApprovals if {
	is_number(input.spec.approvals.minApprovals)
} else := 0

deny_nhi_risk_002 contains lib.result("NHI-RISK-002", ["spec", "approvals", "minApprovals"], msg) if {
	lib.has_config
	tier_min := lib.tier_config.minApprovals
	is_number(tier_min)
	spec_min < tier_min
	msg := sprintf("risk tier %s (%s) needs at least %v approvals, and spec.approvals.minApprovals is %s: write minApprovals: %v", [lib.tier, lib.tier_reason, tier_min, lib.shown(["spec", "approvals", "minApprovals"]), tier_min])
}

deny_nhi_risk_002 contains lib.result("NHI-RISK-002", ["spec", "approvals", "minApprovals"], msg) if {
	lib.has_config
	not is_number(object.get(lib.config, ["riskTiers", lib.tier, "minApprovals"], null))
	msg := sprintf("riskTiers.%s.minApprovals is not a number in the nhigate config, so approvals cannot be checked: fix the configuration", [lib.tier])
}
