package nhigate_test.environment

import data.nhigate_test.fixtures as t

test_nhi_env_001_pass if {
	count(t.results("environment", "deny_nhi_env_001", t.spec)) == 0
}

test_nhi_env_001_fail if {
	r := t.only(t.results("environment", "deny_nhi_env_001", t.set("/spec/environment", "prod")))
	r.msg == `NHI-ENV-001 spec.environment is "prod", which is not configured: write one of development, production, staging; until then the strictest limits apply`
	r.field == "spec.environment"
}

test_nhi_env_001_fail_missing if {
	r := t.only(t.results("environment", "deny_nhi_env_001", t.remove("/spec/environment")))
	r.field == "spec"
}
