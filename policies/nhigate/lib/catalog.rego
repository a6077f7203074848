package nhigate.lib

# catalog is the one place that describes every built-in rule: its Rego
# package, its kind (deny or warn), title, severity, one-line fix, whether a
# spec exception may waive it, and the controls it maps to:
#   owasp_nhi:   OWASP Non-Human Identities Top 10 (2025): NHI1..NHI10
#   nist_csf:    NIST Cybersecurity Framework 2.0 subcategories
#   csa_maestro: CSA MAESTRO layers, with a threat where one fits
#   nist_ai_rmf: NIST AI RMF 1.0 subcategories (GOVERN, MAP, MEASURE, MANAGE)
#
# The rule for id NHI-XXX-000 is named <kind>_nhi_xxx_000 in its package.
# The Go engine reads this object (policies.Catalog) and docs/POLICIES.md is
# generated from it. Each entry must stay a constant. One rule per id lets
# OPA look up an entry without building the whole catalog.
catalog["NHI-CFG-001"] := {
	"namespace": "nhigate.configuration",
	"kind": "deny",
	"title": "nhigate configuration is loaded and well-formed",
	"severity": "critical",
	"waivable": false,
	"fix": "Load the configuration: conftest -d policies/data, or fix the named key in .nhigate.yaml.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["GV.PO-01", "PR.PS-01"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.4"],
	},
}

catalog["NHI-SPEC-001"] := {
	"namespace": "nhigate.spec",
	"kind": "deny",
	"title": "Document is an nhigate.dev/v1 ProvisioningWorkflow",
	"severity": "high",
	"waivable": false,
	"fix": "Start the document with apiVersion: nhigate.dev/v1 and kind: ProvisioningWorkflow.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["PR.PS-01"],
		"csa_maestro": ["L4 Deployment and Infrastructure: Infrastructure-as-Code (IaC) Manipulation"],
		"nist_ai_rmf": ["MEASURE 2.7"],
	},
}

catalog["NHI-OWN-001"] := {
	"namespace": "nhigate.ownership",
	"kind": "deny",
	"title": "An accountable owner is named",
	"severity": "high",
	"waivable": true,
	"fix": "Set metadata.owner to the accountable team or user, e.g. \"@acme/payments\".",
	"controls": {
		"owasp_nhi": ["NHI1"],
		"nist_csf": ["GV.RR-02", "PR.AA-01", "ID.AM-08"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 2.1", "GOVERN 1.6"],
	},
}

catalog["NHI-OWN-002"] := {
	"namespace": "nhigate.ownership",
	"kind": "deny",
	"title": "The requesting human is named",
	"severity": "high",
	"waivable": false,
	"fix": "Set metadata.requester to the GitHub login of the human who asked, e.g. alice.",
	"controls": {
		"owasp_nhi": ["NHI1"],
		"nist_csf": ["GV.RR-02", "PR.AA-05", "DE.CM-03"],
		"csa_maestro": ["L7 Agent Ecosystem: Repudiation"],
		"nist_ai_rmf": ["GOVERN 2.1", "MEASURE 2.8"],
	},
}

catalog["NHI-PROV-001"] := {
	"namespace": "nhigate.provenance",
	"kind": "deny",
	"title": "Provenance names the generator",
	"severity": "medium",
	"waivable": true,
	"fix": "Set metadata.provenance.generator to the tool and version that wrote the spec, e.g. chatops-bot@2.3.1.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["PR.PS-04", "DE.CM-03"],
		"csa_maestro": ["L5 Evaluation and Observability", "L7 Agent Ecosystem: Repudiation"],
		"nist_ai_rmf": ["MEASURE 2.8", "GOVERN 1.4"],
	},
}

catalog["NHI-PROV-002"] := {
	"namespace": "nhigate.provenance",
	"kind": "deny",
	"title": "Provenance records the prompt or its hash",
	"severity": "medium",
	"waivable": true,
	"fix": "Set metadata.provenance.prompt to the request text, or promptSha256 to its hex SHA-256.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["PR.PS-04", "DE.CM-03"],
		"csa_maestro": ["L5 Evaluation and Observability", "L7 Agent Ecosystem: Repudiation"],
		"nist_ai_rmf": ["MEASURE 2.8", "GOVERN 1.4"],
	},
}

catalog["NHI-PROV-003"] := {
	"namespace": "nhigate.provenance",
	"kind": "deny",
	"title": "promptSha256 is the SHA-256 of the prompt",
	"severity": "high",
	"waivable": true,
	"fix": "Set metadata.provenance.promptSha256 to the lowercase hex SHA-256 of the exact prompt text.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["PR.PS-04", "PR.DS-01"],
		"csa_maestro": ["L5 Evaluation and Observability: Poisoning Observability Data", "L7 Agent Ecosystem: Repudiation"],
		"nist_ai_rmf": ["MEASURE 2.8"],
	},
}

catalog["NHI-EXP-001"] := {
	"namespace": "nhigate.expiry",
	"kind": "deny",
	"title": "The grant has an expiry",
	"severity": "high",
	"waivable": true,
	"fix": "Set spec.expiresAt to an RFC3339 time, e.g. 2026-11-26T00:00:00Z.",
	"controls": {
		"owasp_nhi": ["NHI1", "NHI7"],
		"nist_csf": ["PR.AA-01", "PR.AA-05", "ID.AM-08"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.7", "MANAGE 2.4"],
	},
}

catalog["NHI-EXP-002"] := {
	"namespace": "nhigate.expiry",
	"kind": "deny",
	"title": "The grant expires in the future",
	"severity": "high",
	"waivable": true,
	"fix": "Set spec.expiresAt to a future time, or delete the spec to revoke the grant.",
	"controls": {
		"owasp_nhi": ["NHI1"],
		"nist_csf": ["PR.AA-05", "ID.AM-08"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.7", "MANAGE 2.4"],
	},
}

catalog["NHI-EXP-003"] := {
	"namespace": "nhigate.expiry",
	"kind": "deny",
	"title": "The grant ends within the environment's maximum grant duration",
	"severity": "high",
	"waivable": true,
	"fix": "Bring spec.expiresAt within the environment's maxGrant from now; renew with a new pull request.",
	"controls": {
		"owasp_nhi": ["NHI1", "NHI7"],
		"nist_csf": ["PR.AA-05", "ID.AM-08"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.7", "MANAGE 2.4"],
	},
}

catalog["NHI-CRED-001"] := {
	"namespace": "nhigate.credential",
	"kind": "deny",
	"title": "No static credentials in production",
	"severity": "critical",
	"waivable": true,
	"fix": "Use credential.kind: ephemeral (workload identity federation, short-lived tokens), or add a spec exception for NHI-CRED-001.",
	"controls": {
		"owasp_nhi": ["NHI7", "NHI2", "NHI6"],
		"nist_csf": ["PR.AA-01", "PR.AA-03"],
		"csa_maestro": ["L4 Deployment and Infrastructure", "L6 Security and Compliance"],
		"nist_ai_rmf": ["MEASURE 2.7", "MANAGE 1.3"],
	},
}

catalog["NHI-CRED-002"] := {
	"namespace": "nhigate.credential",
	"kind": "deny",
	"title": "Static credentials are rotated",
	"severity": "high",
	"waivable": true,
	"fix": "Set credential.rotation to a Go duration, e.g. rotation: 24h.",
	"controls": {
		"owasp_nhi": ["NHI7"],
		"nist_csf": ["PR.AA-01"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["MEASURE 2.7"],
	},
}

catalog["NHI-CRED-003"] := {
	"namespace": "nhigate.credential",
	"kind": "warn",
	"title": "Workload identity or ephemeral credentials are preferred",
	"severity": "low",
	"waivable": true,
	"fix": "Prefer identity.type: workload-identity or credential.kind: ephemeral.",
	"controls": {
		"owasp_nhi": ["NHI4", "NHI7", "NHI6"],
		"nist_csf": ["PR.AA-03", "PR.AA-01"],
		"csa_maestro": ["L4 Deployment and Infrastructure"],
		"nist_ai_rmf": ["MEASURE 2.7"],
	},
}

catalog["NHI-CRED-004"] := {
	"namespace": "nhigate.credential",
	"kind": "deny",
	"title": "The credential kind is ephemeral or static",
	"severity": "high",
	"waivable": false,
	"fix": "Set credential.kind to ephemeral or static.",
	"controls": {
		"owasp_nhi": ["NHI4"],
		"nist_csf": ["PR.AA-01"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["MEASURE 2.7"],
	},
}

catalog["NHI-CRED-005"] := {
	"namespace": "nhigate.credential",
	"kind": "deny",
	"title": "The credential TTL is within the environment's maximum",
	"severity": "high",
	"waivable": true,
	"fix": "Set credential.ttl to a Go duration no longer than the environment's maxTTL, e.g. ttl: 1h.",
	"controls": {
		"owasp_nhi": ["NHI7"],
		"nist_csf": ["PR.AA-01", "PR.AA-05"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["MEASURE 2.7", "MANAGE 2.4"],
	},
}

catalog["NHI-REV-001"] := {
	"namespace": "nhigate.revocation",
	"kind": "deny",
	"title": "Revocation is automatic",
	"severity": "high",
	"waivable": true,
	"fix": "Set revocation.onCompletion: true and/or revocation.onTimeout to a Go duration, e.g. 2h.",
	"controls": {
		"owasp_nhi": ["NHI1"],
		"nist_csf": ["PR.AA-05", "ID.AM-08"],
		"csa_maestro": ["L6 Security and Compliance", "L7 Agent Ecosystem: Compromised Agents"],
		"nist_ai_rmf": ["MANAGE 2.4", "GOVERN 1.7"],
	},
}

catalog["NHI-ENT-001"] := {
	"namespace": "nhigate.entitlements",
	"kind": "deny",
	"title": "No broad actions in production: none that covers a sensitive action or every action of a service",
	"severity": "critical",
	"waivable": true,
	"fix": "List the exact actions, e.g. s3:GetObject instead of s3:*, and name a sensitive action such as iam:PassRole on its own instead of iam:P*.",
	"controls": {
		"owasp_nhi": ["NHI5"],
		"nist_csf": ["PR.AA-05"],
		"csa_maestro": ["L7 Agent Ecosystem: Agent Tool Misuse", "L4 Deployment and Infrastructure: Lateral Movement"],
		"nist_ai_rmf": ["MEASURE 2.7", "MANAGE 1.3"],
	},
}

catalog["NHI-ENT-002"] := {
	"namespace": "nhigate.entitlements",
	"kind": "deny",
	"title": "No broad resources in production: none that spans a whole resource type, service or account",
	"severity": "critical",
	"waivable": true,
	"fix": "Name the resources, e.g. arn:aws:s3:::payments-artifacts/* instead of arn:aws:s3:::*, and payments/secrets/db-password instead of payments/secrets.",
	"controls": {
		"owasp_nhi": ["NHI5", "NHI8"],
		"nist_csf": ["PR.AA-05", "PR.IR-01"],
		"csa_maestro": ["L7 Agent Ecosystem: Agent Tool Misuse", "L4 Deployment and Infrastructure: Lateral Movement"],
		"nist_ai_rmf": ["MEASURE 2.7", "MANAGE 1.3"],
	},
}

catalog["NHI-ENT-003"] := {
	"namespace": "nhigate.entitlements",
	"kind": "deny",
	"title": "Every entitlement lists explicit actions and resources in printable ASCII",
	"severity": "high",
	"waivable": false,
	"fix": "Give each entry of spec.entitlements non-empty actions and resources lists of strings in printable ASCII, without spaces.",
	"controls": {
		"owasp_nhi": ["NHI5"],
		"nist_csf": ["PR.AA-05"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["MAP 3.5"],
	},
}

catalog["NHI-DEL-001"] := {
	"namespace": "nhigate.delegation",
	"kind": "deny",
	"title": "Delegated automation gets short-lived credentials",
	"severity": "high",
	"waivable": true,
	"fix": "For consumer agent or scheduled-job, set credential.ttl within delegated.maxTTL, e.g. ttl: 1h.",
	"controls": {
		"owasp_nhi": ["NHI7", "NHI5"],
		"nist_csf": ["PR.AA-01", "PR.AA-05"],
		"csa_maestro": ["L7 Agent Ecosystem: Agent Identity Attack", "L3 Agent Frameworks"],
		"nist_ai_rmf": ["MAP 3.5", "GOVERN 3.2", "MANAGE 2.4"],
	},
}

catalog["NHI-DEL-002"] := {
	"namespace": "nhigate.delegation",
	"kind": "deny",
	"title": "Delegated automation gets short grants",
	"severity": "high",
	"waivable": true,
	"fix": "For consumer agent or scheduled-job, bring spec.expiresAt within delegated.maxGrant from now.",
	"controls": {
		"owasp_nhi": ["NHI1", "NHI7"],
		"nist_csf": ["PR.AA-05", "ID.AM-08"],
		"csa_maestro": ["L7 Agent Ecosystem: Agent Identity Attack", "L3 Agent Frameworks"],
		"nist_ai_rmf": ["MAP 3.5", "GOVERN 3.2", "MANAGE 2.4"],
	},
}

catalog["NHI-DEL-003"] := {
	"namespace": "nhigate.delegation",
	"kind": "deny",
	"title": "Delegated automation gets no wildcards in any environment",
	"severity": "critical",
	"waivable": true,
	"fix": "For consumer agent or scheduled-job, list exact actions and resources without * or ?.",
	"controls": {
		"owasp_nhi": ["NHI5"],
		"nist_csf": ["PR.AA-05"],
		"csa_maestro": ["L7 Agent Ecosystem: Agent Tool Misuse", "L7 Agent Ecosystem: Agent Goal Manipulation"],
		"nist_ai_rmf": ["MAP 3.5", "GOVERN 3.2"],
	},
}

catalog["NHI-ID-001"] := {
	"namespace": "nhigate.identity",
	"kind": "warn",
	"title": "Humans use their own identity, not an NHI",
	"severity": "medium",
	"waivable": true,
	"fix": "Grant the access to the human's own identity, or set identity.consumer to the pipeline, agent or job that uses it.",
	"controls": {
		"owasp_nhi": ["NHI10"],
		"nist_csf": ["PR.AA-01", "PR.AA-02", "DE.CM-03"],
		"csa_maestro": ["L7 Agent Ecosystem: Agent Impersonation"],
		"nist_ai_rmf": ["GOVERN 3.2"],
	},
}

catalog["NHI-ENV-001"] := {
	"namespace": "nhigate.environment",
	"kind": "deny",
	"title": "The environment is a configured one",
	"severity": "high",
	"waivable": false,
	"fix": "Set spec.environment to an environment configured in .nhigate.yaml, e.g. production.",
	"controls": {
		"owasp_nhi": ["NHI8"],
		"nist_csf": ["PR.IR-01", "PR.PS-01"],
		"csa_maestro": ["L4 Deployment and Infrastructure"],
		"nist_ai_rmf": ["GOVERN 1.4"],
	},
}

catalog["NHI-SOD-001"] := {
	"namespace": "nhigate.sod",
	"kind": "deny",
	"title": "The requester is not an approver",
	"severity": "critical",
	"waivable": false,
	"fix": "Remove the requester from spec.approvals.required and name an independent approver.",
	"controls": {
		"owasp_nhi": ["NHI5"],
		"nist_csf": ["PR.AA-05", "GV.RR-02"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 2.1", "MAP 3.5"],
	},
}

catalog["NHI-SOD-002"] := {
	"namespace": "nhigate.sod",
	"kind": "deny",
	"title": "The owner alone cannot approve a grant to itself when the risk tier forbids it",
	"severity": "high",
	"waivable": true,
	"fix": "Add an approver other than the owner and the requester to spec.approvals.required, e.g. \"@acme/security\".",
	"controls": {
		"owasp_nhi": ["NHI5"],
		"nist_csf": ["PR.AA-05", "GV.RR-02"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 2.1", "MAP 3.5"],
	},
}

catalog["NHI-RISK-001"] := {
	"namespace": "nhigate.risk",
	"kind": "deny",
	"title": "The risk tier's approvers are required",
	"severity": "high",
	"waivable": true,
	"fix": "Add every approver of the spec's risk tier (riskTiers.<tier>.approvers) to spec.approvals.required.",
	"controls": {
		"owasp_nhi": ["NHI3", "NHI5"],
		"nist_csf": ["PR.AA-05", "GV.RR-02", "GV.SC-07"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 6.1", "MANAGE 1.3", "MAP 3.5"],
	},
}

catalog["NHI-RISK-002"] := {
	"namespace": "nhigate.risk",
	"kind": "deny",
	"title": "The risk tier's minimum number of approvals is met",
	"severity": "high",
	"waivable": true,
	"fix": "Set spec.approvals.minApprovals to at least the tier's minApprovals.",
	"controls": {
		"owasp_nhi": ["NHI3", "NHI5"],
		"nist_csf": ["PR.AA-05", "GV.RR-02", "GV.SC-07"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 6.1", "MANAGE 1.3", "MAP 3.5"],
	},
}

catalog["NHI-EXC-001"] := {
	"namespace": "nhigate.exceptions",
	"kind": "deny",
	"title": "An exception gives a reason",
	"severity": "medium",
	"waivable": false,
	"fix": "Set the exception's reason to why the rule cannot be met, e.g. \"vendor API only supports static keys\".",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["GV.PO-02", "GV.RR-02"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.5", "MANAGE 1.3"],
	},
}

catalog["NHI-EXC-002"] := {
	"namespace": "nhigate.exceptions",
	"kind": "deny",
	"title": "An exception is approved by someone other than the requester",
	"severity": "high",
	"waivable": false,
	"fix": "Set the exception's approvedBy to an independent approver, e.g. \"@acme/security\", never the requester.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["PR.AA-05", "GV.RR-02"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 2.1", "MANAGE 1.3"],
	},
}

catalog["NHI-EXC-003"] := {
	"namespace": "nhigate.exceptions",
	"kind": "deny",
	"title": "An expired exception no longer applies",
	"severity": "medium",
	"waivable": false,
	"fix": "Remove the expired exception and fix the rule, or renew it with a new approval and expiresAt.",
	"controls": {
		"owasp_nhi": ["NHI1"],
		"nist_csf": ["GV.PO-02", "ID.AM-08"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.5", "MANAGE 1.3"],
	},
}

catalog["NHI-EXC-004"] := {
	"namespace": "nhigate.exceptions",
	"kind": "deny",
	"title": "An exception expires within maxExceptionDays",
	"severity": "medium",
	"waivable": false,
	"fix": "Set the exception's expiresAt to an RFC3339 time at most maxExceptionDays (default 90) from now.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["GV.PO-02"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.5", "MANAGE 1.3"],
	},
}

catalog["NHI-EXC-005"] := {
	"namespace": "nhigate.exceptions",
	"kind": "deny",
	"title": "An exception names a known rule that may be waived",
	"severity": "medium",
	"waivable": false,
	"fix": "Set the exception's rule to a waivable rule id from docs/POLICIES.md, e.g. NHI-CRED-001.",
	"controls": {
		"owasp_nhi": [],
		"nist_csf": ["GV.PO-02"],
		"csa_maestro": ["L6 Security and Compliance"],
		"nist_ai_rmf": ["GOVERN 1.5"],
	},
}

catalog["NHI-SEC-001"] := {
	"namespace": "nhigate.secrets",
	"kind": "deny",
	"title": "No secret values inside the spec",
	"severity": "critical",
	"waivable": true,
	"fix": "Remove the secret from the spec (and the prompt), revoke it, and refer to secrets by name only.",
	"controls": {
		"owasp_nhi": ["NHI2"],
		"nist_csf": ["PR.DS-01", "PR.AA-01"],
		"csa_maestro": ["L5 Evaluation and Observability: Data Leakage through Observability", "L2 Data Operations"],
		"nist_ai_rmf": ["MEASURE 2.7", "MANAGE 1.3"],
	},
}
