# Package nhigate.environment requires that a spec targets an environment the
# repo configures, so that its limits are known.
package nhigate.environment

import data.nhigate.lib

configured := concat(", ", sort([name | some name, _ in lib.config.environments; is_string(name)]))

deny_nhi_env_001 contains lib.result("NHI-ENV-001", ["spec", "environment"], msg) if {
	lib.has_config
	not lib.env_configured
	msg := sprintf("spec.environment is %s, which is not configured: write one of %s; until then the strictest limits apply", [lib.shown(["spec", "environment"]), configured])
}
