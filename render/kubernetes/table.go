package kubernetes

// builtin is what render knows of a built-in resource: its API group,
// whether its objects live in a namespace, and its subresources.
type builtin struct {
	group      string
	namespaced bool
	subs       []string
}

// customSubs are the subresources a custom resource can have (a CRD's
// status and scale), so that "ns/widgets.example.com/status" is the status
// of every widget and not a widget named "status".
var customSubs = []string{"scale", "status"}

// builtins maps the plural name of every built-in resource to its group.
// It is written from the k8s.io/api types of v0.37 (the Kind of each
// package's register.go and the REST storage the API server mounts for
// it), plus the virtual resources RBAC authorizes (users, groups, uids,
// userextras for impersonate; signers for approve and sign; the kubelet's
// node subresources). Where two groups serve one plural (events,
// ingresses of the removed extensions group), the bare name is the
// current group's, and the other is written plural.group.
var builtins = map[string]builtin{
	// core ("")
	"bindings":               {"", true, nil},
	"configmaps":             {"", true, nil},
	"endpoints":              {"", true, nil},
	"events":                 {"", true, nil},
	"limitranges":            {"", true, nil},
	"persistentvolumeclaims": {"", true, []string{"status"}},
	"pods": {"", true, []string{"attach", "binding", "ephemeralcontainers", "eviction", "exec", "log",
		"portforward", "proxy", "resize", "status"}},
	"podtemplates":           {"", true, nil},
	"replicationcontrollers": {"", true, []string{"scale", "status"}},
	"resourcequotas":         {"", true, []string{"status"}},
	"secrets":                {"", true, nil},
	"serviceaccounts":        {"", true, []string{"token"}},
	"services":               {"", true, []string{"proxy", "status"}},
	"componentstatuses":      {"", false, nil},
	"namespaces":             {"", false, []string{"finalize", "status"}},
	"nodes": {"", false, []string{"checkpoint", "configz", "healthz", "log", "metrics", "pods", "proxy",
		"spec", "stats", "status"}},
	"persistentvolumes": {"", false, []string{"status"}},
	"users":             {"", false, nil},
	"groups":            {"", false, nil},

	"controllerrevisions": {"apps", true, nil},
	"daemonsets":          {"apps", true, []string{"status"}},
	"deployments":         {"apps", true, []string{"rollback", "scale", "status"}},
	"replicasets":         {"apps", true, []string{"scale", "status"}},
	"statefulsets":        {"apps", true, []string{"scale", "status"}},

	"horizontalpodautoscalers": {"autoscaling", true, []string{"status"}},
	"cronjobs":                 {"batch", true, []string{"status"}},
	"jobs":                     {"batch", true, []string{"status"}},
	"poddisruptionbudgets":     {"policy", true, []string{"status"}},

	"ingresses":       {"networking.k8s.io", true, []string{"status"}},
	"networkpolicies": {"networking.k8s.io", true, []string{"status"}},
	"ingressclasses":  {"networking.k8s.io", false, nil},
	"ipaddresses":     {"networking.k8s.io", false, nil},
	"servicecidrs":    {"networking.k8s.io", false, []string{"status"}},
	"endpointslices":  {"discovery.k8s.io", true, nil},

	"roles":               {"rbac.authorization.k8s.io", true, nil},
	"rolebindings":        {"rbac.authorization.k8s.io", true, nil},
	"clusterroles":        {"rbac.authorization.k8s.io", false, nil},
	"clusterrolebindings": {"rbac.authorization.k8s.io", false, nil},

	"storageclasses":          {"storage.k8s.io", false, nil},
	"csidrivers":              {"storage.k8s.io", false, nil},
	"csinodes":                {"storage.k8s.io", false, nil},
	"volumeattachments":       {"storage.k8s.io", false, []string{"status"}},
	"volumeattributesclasses": {"storage.k8s.io", false, nil},
	"csistoragecapacities":    {"storage.k8s.io", true, nil},

	"certificatesigningrequests": {"certificates.k8s.io", false, []string{"approval", "nodeclient", "selfnodeclient", "status"}},
	"signers":                    {"certificates.k8s.io", false, nil},
	"clustertrustbundles":        {"certificates.k8s.io", false, nil},

	"leases":          {"coordination.k8s.io", true, nil},
	"leasecandidates": {"coordination.k8s.io", true, nil},

	"mutatingwebhookconfigurations":     {"admissionregistration.k8s.io", false, nil},
	"validatingwebhookconfigurations":   {"admissionregistration.k8s.io", false, nil},
	"validatingadmissionpolicies":       {"admissionregistration.k8s.io", false, []string{"status"}},
	"validatingadmissionpolicybindings": {"admissionregistration.k8s.io", false, nil},
	"mutatingadmissionpolicies":         {"admissionregistration.k8s.io", false, nil},
	"mutatingadmissionpolicybindings":   {"admissionregistration.k8s.io", false, nil},

	"customresourcedefinitions": {"apiextensions.k8s.io", false, []string{"status"}},
	"apiservices":               {"apiregistration.k8s.io", false, []string{"status"}},

	"tokenreviews":              {"authentication.k8s.io", false, nil},
	"selfsubjectreviews":        {"authentication.k8s.io", false, nil},
	"uids":                      {"authentication.k8s.io", false, nil},
	"userextras":                {"authentication.k8s.io", false, nil}, // userextras/KEY: every sub is a key
	"subjectaccessreviews":      {"authorization.k8s.io", false, nil},
	"selfsubjectaccessreviews":  {"authorization.k8s.io", false, nil},
	"selfsubjectrulesreviews":   {"authorization.k8s.io", false, nil},
	"localsubjectaccessreviews": {"authorization.k8s.io", true, nil},

	"priorityclasses": {"scheduling.k8s.io", false, nil},
	"runtimeclasses":  {"node.k8s.io", false, nil},

	"flowschemas":                 {"flowcontrol.apiserver.k8s.io", false, []string{"status"}},
	"prioritylevelconfigurations": {"flowcontrol.apiserver.k8s.io", false, []string{"status"}},

	"resourceclaims":         {"resource.k8s.io", true, []string{"status"}},
	"resourceclaimtemplates": {"resource.k8s.io", true, nil},
	"deviceclasses":          {"resource.k8s.io", false, nil},
	"resourceslices":         {"resource.k8s.io", false, nil},
}
