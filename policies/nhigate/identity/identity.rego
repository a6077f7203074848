# Package nhigate.identity warns when a non-human identity is meant for a
# human: people should use their own, individually accountable identity.
package nhigate.identity

import data.nhigate.lib

# exception waives warn_<name> in this package (see lib.waived).
exception contains [name] if some name in lib.waived

warn_nhi_id_001 contains lib.result("NHI-ID-001", ["spec", "identity", "consumer"], msg) if {
	input.spec.identity.consumer == "human"
	msg := "identity.consumer is human: a person should use their own identity; grant the access to them, or set consumer to the pipeline, agent or scheduled-job that uses it"
}
