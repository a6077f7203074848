package nhigate_test.lib

import data.nhigate.lib

test_fmt_duration if {
	lib.fmt_duration(8 * lib.hour_ns) == "8h"
	lib.fmt_duration(90 * lib.minute_ns) == "90m"
	lib.fmt_duration(45000000000) == "45s"
	lib.fmt_duration(1500000000) == "1500ms"
	lib.fmt_duration(1500) == "1500ns"
}

test_duration_ns if {
	lib.duration_ns("1h30m") == 90 * lib.minute_ns
	not lib.duration_ns("1d")
	not lib.duration_ns("0s")
	not lib.duration_ns("-1h")
	not lib.duration_ns(" 1h")
}

test_field_points_at_deepest_parent if {
	doc := {"spec": {"entitlements": [{"actions": ["a", "b"]}]}}
	lib.field(["spec", "entitlements", 0, "actions", 1]) == "spec.entitlements[0].actions[1]" with input as doc
	lib.field(["spec", "entitlements", 0, "resources", 0]) == "spec.entitlements[0]" with input as doc
	lib.field(["metadata", "owner"]) == "" with input as doc
	lib.field(["spec"]) == "" with input as "not a mapping"
}

test_norm if {
	lib.norm(" @Acme/Security ") == "acme/security"
}
