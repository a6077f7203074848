package policies

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the policy reference (docs/POLICIES.md) for rules,
// normally Catalog(): how to run the policies, their definitions, and per
// rule its id, severity, title, controls and fix.
func WriteMarkdown(w io.Writer, rules []Rule) error {
	data, err := builtin.ReadFile(defaultData)
	if err != nil {
		return fmt.Errorf("read default data: %w", err)
	}
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("# nhigate policies\n\n")
	p("<!-- Generated from policies/nhigate/lib/catalog.rego by `go test ./policies -run TestPoliciesDoc -update`. Do not edit. -->\n\n")
	p("nhigate embeds these Rego policies and evaluates them on every spec. They use the conftest layout, so the same files run with conftest:\n\n")
	p("```sh\n")
	p("conftest test --all-namespaces -p policies/nhigate -d policies/data spec.yaml\n")
	p("conftest verify -p policies/nhigate\n")
	p("```\n\n")
	p("- `--all-namespaces` is required: conftest tests only the `main` namespace by default, and every rule here lives in a `nhigate.*` namespace.\n")
	p("- `-d policies/data` loads the configuration as `data.nhigate.config`, and the catalog of sensitive actions and resource types (`policies/data/nhigate/catalog/catalog.json`) as `data.nhigate.catalog`; without them NHI-CFG-001 denies. nhigate passes the merged `.nhigate.yaml` of the base revision in the same shape, and the same catalog.\n")
	p("- Set `data.nhigate.now` (RFC3339) to freeze the clock, e.g. with a second `-d` directory holding `nhigate: {now: \"2026-11-25T12:00:00Z\"}`.\n")
	p("- Leave `data.nhigate.judged`, `data.nhigate.loaded` and `data.nhigate.run` unset. nhigate sets them to skip work whose result it already has: broadness verdicts made by the Go twin of the Rego judgement (package catalog), a flag for documents it has found shaped as its strict loader requires (NHI-ENT-003 and NHI-SPEC-001 skip those checks), and values computed once from the configuration. The results are the same; see docs/BENCHMARKS.md. A repo policy that uses `with` (say, to run a built-in rule on another input, configuration or catalog) turns all three off for the run, since they stand for the document and data as nhigate passes them.\n")
	p("- User policies are added with more `-p` directories; nhigate evaluates every namespace, as `--all-namespaces` does. Packages under `data.nhigate` are reserved.\n\n")
	p("Every result is an object: `{msg, rule, severity, field, fix, controls}`. The message starts with the rule id and says what to write instead. `field` is a path into the document, like `spec.entitlements[0].actions[1]`, pointing at the offending value or at its deepest existing parent when the value is missing; it is empty when the result is about the whole document or the configuration.\n\n")

	p("## Default configuration\n\n")
	p("`policies/data/nhigate.yaml`; durations are Go durations (`8h`, `90m`, no `d`):\n\n")
	p("```yaml\n%s```\n\n", data)

	p("## Definitions\n\n")
	p("- **Production** is the environment named `production`. A missing or unconfigured environment also counts as production and gets the strictest configured limits (NHI-ENV-001 denies it too).\n")
	p("- **Delegated automation** is an identity whose `spec.identity.consumer` is `agent` or `scheduled-job`. A missing or unknown consumer counts as delegated. Its limits (`delegated.maxTTL`, `delegated.maxGrant`, no wildcards) apply in every environment, on top of the environment's.\n")
	p("- **Risk tier** of a spec:\n")
	p("  - `critical`: production with a credential that is not `ephemeral`, or with any wildcard action or resource;\n")
	p("  - `high`: any other production grant, or a platform listed in `highRiskPlatforms` (or no platform) in any environment;\n")
	p("  - `medium`: `staging`;\n")
	p("  - `low`: everything else.\n\n")
	p("  The tier's `approvers` must be in `spec.approvals.required`, `spec.approvals.minApprovals` must reach its `minApprovals`, and with `ownerMayApprove: false` someone other than the owner and the requester must be required. Approvers compare case-insensitively, without a leading `@`.\n")
	p("- **Wildcards**: a pattern containing `*` or `?`; `*` matches any run of characters, `?` one. AWS and Azure actions compare case-insensitively. Actions and resources are printable ASCII (NHI-ENT-003).\n")
	p("- **Broad** is what a pattern covers, judged against the catalog of sensitive actions and resource types per platform in `data.nhigate.catalog` (`policies/data/nhigate/catalog/catalog.json`, generated from the AWS service authorization reference and reviewed lists; see its README), never by the text before the first wildcard. A pattern is broad when:\n")
	p("  - it starts with wildcards and has a `*` (`*`, `*:GetObject`, `*-logs`): it covers every service or account;\n")
	p("  - an action pattern covers every action of a service (`s3:*`, `s?:*`, `s3*`, `storage.*`), or a sensitive action: an AWS action at the access level Permissions management, a credential or secret read, a published privilege-escalation step, or a platform's listed one (`iam:P*` covers `iam:PassRole`; `secretsmanager:Get*`, `iam:*Policy*`, `esc*` on Kubernetes). An action without wildcard is not broad on its own (but see the pairs below);\n")
	p("  - an AWS resource pattern has fewer than six ARN fields and a `*` (`arn:aws:*`, `secret*`), a wildcard in the partition or service field, or one in the account field (`arn:aws:iam::*:role/ci-*`);\n")
	p("  - a resource pattern spans a resource type of the catalog: it matches the type's probe, the type's format with each identifier replaced by a character no pattern may contain and each context field (account, region, namespace, project, mount) taken from the pattern. `arn:aws:iam::123456789012:rol?/*` spans every role, `arn:aws:secretsmanager:*:*:secret:*` every secret, Vault `sys/*` the system backend. A pattern whose identifier part (the type's first identifier: role, secret, bucket or object name, a Vault path after the mount) begins with a wildcard names resources by suffix or infix alone and spans the type too: `role/*e`, `secret:*-*` (every Secrets Manager secret ends in `-` and six characters), `role/*/*`, Kubernetes `payments/secrets/*-*`, Vault `secret/data/*/*`. In Kubernetes a resource names its whole type, so `payments/secrets` and `payments/pods/portforward` are broad without a wildcard; Vault's `+` counts as a wildcard and a leading `/` is dropped, as Vault drops it; Azure resource IDs compare case-insensitively, as Azure Resource Manager compares them.\n")
	p("  - a grant pairs a sensitive action with a resource that names a whole scope or type, even when both are literal: the action covers an action of one of the catalog's sensitive pairings (`platforms.<name>.grants`; every sensitive action of the platform for a pairing that lists none) and the resource matches one of its scopes instantiated with the resource's own fields (a field that is one variable takes the resource's field, a field `*` the rest of it). The pairings: Kubernetes `impersonate` on `users`, `groups`, `serviceaccounts`, `<ns>/serviceaccounts`; `bind` and `escalate` on `roles`, `clusterroles`, `<ns>/roles`; `create`, `update`, `patch` on any namespace's or the cluster's roles and bindings, on `pods`, `deployments`, `daemonsets`, `statefulsets`, `replicasets`, `jobs`, `cronjobs`, `replicationcontrollers` (workload injection) and on webhook configurations; GCP any sensitive permission or role (`roles/owner`, `roles/editor`, `roles/iam.*`, the predefined `*.admin` roles of the list) on an organization, folder or project; Vault `sudo` on `sys`, `sys/*`, `auth`, `auth/*`; GitHub any sensitive permission (`administration:write`, `workflows:write`, `secrets:write`, …) on any repository, since it has no narrower resource; Azure any sensitive operation (`Microsoft.Authorization/roleAssignments/write`, role definitions, policy assignments, …) on `/`, a management group, a subscription or a resource group. Every name of a scope is the scope: a resource whose last segment begins with a wildcard (`payments/roles/*`, `payments/deployments/?*`) is judged as the scope above it. NHI-ENT-001 reports it at the action, once per such resource, unless the action or the resource is broad on its own. Narrow pairs: `impersonate` on `users/alice`, `bind` on `clusterroles/view`, `patch` on `payments/deployments/web`, `roles/owner` on a bucket, `sudo` on `secret/data/x`.\n")
	p("  - Not broad: `s3:GetObject`, `s3:Get*`, `ec2:Describe*`, `arn:aws:s3:::payments-artifacts/*`, `arn:aws:iam::123456789012:role/ci-*` and `arn:aws:s3:::payments-artifacts/*-*` (a wildcard only after a literal first identifier), `payments/pods`, `secret/data/payments/*`.\n")
	p("  - On a platform the catalog lacks (`generic`, or none), every platform judges. Production denies broad actions and sensitive pairs (NHI-ENT-001) and broad resources (NHI-ENT-002), unless a valid exception waives the rule; delegated automation denies every wildcard (NHI-DEL-003). The diff rates the same patterns critical in production.\n")
	p("- **Exceptions**: an entry of `spec.exceptions` waives one rule for its document when the rule is known and waivable, `reason` and `approvedBy` are set, the approver is not the requester, and `expiresAt` is in the future and at most `maxExceptionDays` away. The waiver is conftest's own mechanism: each package declares `exception contains [name]`, e.g. `nhi_cred_001` for rule `deny_nhi_cred_001`, and conftest and nhigate report the result as an exception instead of a failure. An entry that is not valid waives nothing and is reported by NHI-EXC-001..005. `approvedBy` is a claim, not a proof: when nhigate reviews a pull request in GitHub mode, an exception that the pull request adds or changes waives only once the approver it names approved the head commit; `check` and a local review report it as unverified.\n\n")

	p("## Where nhigate and conftest differ\n\n")
	p("nhigate evaluates every namespace with one prepared query per document (namespaces that never read the input, like the configuration check, once per run) and reports the same failures, warnings and exceptions as `conftest test --all-namespaces`; a test runs conftest's own engine on the fixtures in `policies/testdata` to keep it so. Where conftest would pass silently, nhigate fails closed:\n\n")
	p("- A deny, violation or warn rule whose value is not a set (or array) of messages, a message that is empty or neither a string nor an object with a string `msg`, a `severity` other than critical, high, medium or low, or malformed `controls` is an error, not a pass.\n")
	p("- User policies cannot call `http.send` or `net.lookup_ip_addr` (evaluation stays off the network), nor conftest's `parse_config*` builtins; `opa.runtime()` carries no environment, and `data.conftest.file` is not set.\n")
	p("- conftest also prints an exception for a waived rule that did not fire; nhigate reports waived findings only, as results with `Excepted` set.\n")
	p("- A user rule without `rule` and `severity` keys gets its Rego rule name as its id, and severity high (deny, violation) or medium (warn).\n\n")
	p("OWASP NHI9 (NHI Reuse) needs a view across specs and has no per-document rule.\n\n")

	p("## Rules\n\n")
	p("| Rule | Severity | Kind | Title | Waivable |\n")
	p("|---|---|---|---|---|\n")
	for _, r := range rules {
		p("| [%s](#%s) | %s | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, r.Kind, r.Title, yesNo(r.Waivable))
	}
	p("\n")
	for _, r := range rules {
		p("### %s\n\n", r.ID)
		p("**%s**\n\n", r.Title)
		p("- Severity: %s (%s), rule `%s` in package `%s`\n", r.Severity, r.Kind, r.Name(), r.Namespace)
		p("- Waivable by a spec exception: %s\n", yesNo(r.Waivable))
		p("- Fix: %s\n", r.Fix)
		p("- OWASP Non-Human Identities Top 10 (2025): %s\n", owaspList(r.Controls.OWASP))
		p("- NIST CSF 2.0: %s\n", list(r.Controls.CSF))
		p("- CSA MAESTRO: %s\n", list(r.Controls.MAESTRO))
		p("- NIST AI RMF 1.0: %s\n\n", list(r.Controls.AIRMF))
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("write policy reference: %w", err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func list(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func owaspList(ids []string) string {
	named := make([]string, len(ids))
	for i, id := range ids {
		named[i] = id + " " + owaspName(id)
	}
	return list(named)
}

// owaspName is the title of an OWASP Non-Human Identities Top 10 (2025) risk.
func owaspName(id string) string {
	switch id {
	case "NHI1":
		return "Improper Offboarding"
	case "NHI2":
		return "Secret Leakage"
	case "NHI3":
		return "Vulnerable Third-Party NHI"
	case "NHI4":
		return "Insecure Authentication"
	case "NHI5":
		return "Overprivileged NHI"
	case "NHI6":
		return "Insecure Cloud Deployment Configurations"
	case "NHI7":
		return "Long-Lived Secrets"
	case "NHI8":
		return "Environment Isolation"
	case "NHI9":
		return "NHI Reuse"
	case "NHI10":
		return "Human Use of NHI"
	}
	return "(unknown)"
}
