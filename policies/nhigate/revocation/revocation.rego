# Package nhigate.revocation requires that access ends by itself: when the
# task completes, or after a timeout, without waiting for a human.
package nhigate.revocation

import data.nhigate.lib

# exception waives deny_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

rev := input.spec.revocation

automatic if rev.onCompletion == true

automatic if lib.duration_ns(rev.onTimeout)

deny_nhi_rev_001 contains lib.result("NHI-REV-001", ["spec", "revocation"], msg) if {
	not automatic
	not has_timeout
	msg := sprintf("revocation is not automatic (onCompletion %s, onTimeout %s): set revocation.onCompletion: true and/or revocation.onTimeout: 2h", [lib.shown(["spec", "revocation", "onCompletion"]), lib.shown(["spec", "revocation", "onTimeout"])])
}

deny_nhi_rev_001 contains lib.result("NHI-REV-001", ["spec", "revocation", "onTimeout"], msg) if {
	has_timeout
	not lib.duration_ns(object.get(lib.doc, ["spec", "revocation", "onTimeout"], null))
	msg := sprintf("revocation.onTimeout is %s, not a Go duration: write e.g. onTimeout: 2h", [lib.shown(["spec", "revocation", "onTimeout"])])
}

has_timeout if _ = rev.onTimeout
