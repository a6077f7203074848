package gcp

import (
	"fmt"
	"regexp"
	"strings"
)

// The grammars of the names a spec and a policy use, from the IAM
// documentation: a permission is service.resource.verb; a predefined role
// is roles/ followed by letters, digits, '_' and '.'; a custom role ID is
// 3 to 64 of those, in a project or an organization.
var (
	permissionRE = regexp.MustCompile(`^[a-z][a-z0-9]*\.[a-zA-Z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9]*$`)
	predefinedRE = regexp.MustCompile(`^roles/[a-zA-Z][a-zA-Z0-9_.]{0,127}$`)
	customRoleRE = regexp.MustCompile(`^(?:projects/(?:[a-z][a-z0-9-]{4,28}[a-z0-9])|organizations/[0-9]{1,19})/roles/[a-zA-Z0-9_.]{3,64}$`)
	roleIDRE     = regexp.MustCompile(`^[a-zA-Z0-9_.]{3,64}$`)

	// projectIDRE is a project ID; resources may also name a project by
	// its number.
	projectIDRE  = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	projectNumRE = regexp.MustCompile(`^[0-9]{1,19}$`)
	numberRE     = regexp.MustCompile(`^[0-9]{1,19}$`)
	bucketRE     = lengthBounded(regexp.MustCompile(`^[a-z0-9][a-z0-9._-]+[a-z0-9]$`), 3, 222)
	segmentRE    = lengthBounded(regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~@+-]*$`), 1, 1000)

	// accountIDRE is the part of a service account's email before the @
	// when nhigate derives the email from identity.name.
	accountIDRE = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	// serviceAccountRE is a service account's email: user-managed
	// (NAME@PROJECT.iam.gserviceaccount.com), a default one
	// (PROJECT@appspot..., NUMBER-compute@developer...), or a Google-managed
	// service agent (service-NUMBER@gcp-sa-SERVICE.iam...).
	serviceAccountRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}@[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9][a-z0-9-]{0,62})*\.gserviceaccount\.com$`)
	userManagedRE    = regexp.MustCompile(`^([a-z][a-z0-9-]{4,28}[a-z0-9])@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$`)
)

// kind is a resource that holds an IAM policy: its relative name's shape
// (literal segments, "P" a project, "N" a number, "B" a bucket, "*" any
// name) and the service whose full resource names it takes.
type kind struct {
	shape []string
	host  string
}

// kinds are the resources render binds on. Any other resource (a location,
// a table, an object) has no IAM policy of its own, or one nhigate does not
// know; render refuses it rather than binding on a parent.
var kinds = []kind{
	{[]string{"organizations", "N"}, "cloudresourcemanager.googleapis.com"},
	{[]string{"folders", "N"}, "cloudresourcemanager.googleapis.com"},
	{[]string{"projects", "P"}, "cloudresourcemanager.googleapis.com"},
	{[]string{"projects", "_", "buckets", "B"}, "storage.googleapis.com"},
	{[]string{"projects", "P", "datasets", "*"}, "bigquery.googleapis.com"},
	{[]string{"projects", "P", "topics", "*"}, "pubsub.googleapis.com"},
	{[]string{"projects", "P", "subscriptions", "*"}, "pubsub.googleapis.com"},
	{[]string{"projects", "P", "secrets", "*"}, "secretmanager.googleapis.com"},
	{[]string{"projects", "P", "serviceAccounts", "*"}, "iam.googleapis.com"},
	{[]string{"projects", "P", "locations", "*", "repositories", "*"}, "artifactregistry.googleapis.com"},
	{[]string{"projects", "P", "locations", "*", "keyRings", "*"}, "cloudkms.googleapis.com"},
	{[]string{"projects", "P", "locations", "*", "keyRings", "*", "cryptoKeys", "*"}, "cloudkms.googleapis.com"},
}

// bindable returns the service host of a relative resource name that holds
// an IAM policy, and the project ID it names ("" for none or a number).
func bindable(rel string) (host, project string, ok bool) {
	segs := strings.Split(rel, "/")
	for _, k := range kinds {
		if len(segs) != len(k.shape) {
			continue
		}
		match := true
		p := ""
		for i, want := range k.shape {
			s := segs[i]
			switch want {
			case "P":
				match = projectIDRE.MatchString(s) || projectNumRE.MatchString(s)
				if projectIDRE.MatchString(s) {
					p = s
				}
			case "N":
				match = numberRE.MatchString(s)
			case "B":
				match = bucketRE.MatchString(s) && !strings.Contains(s, "..")
			case "*":
				match = segmentRE.MatchString(s)
			default:
				match = s == want
			}
			if !match {
				break
			}
		}
		if match {
			return k.host, p, true
		}
	}
	return "", "", false
}

// fullName is the full resource name of a bindable relative name, as
// Cloud Asset Inventory and search-all-iam-policies write it.
func fullName(rel string) string {
	host, _, _ := bindable(rel)
	return "//" + host + "/" + rel
}

// relativeName reads a resource name as an import finds it: a full name
// (//HOST/REL), the bucket form Cloud Asset Inventory uses
// (//storage.googleapis.com/BUCKET), or a relative name; the host must be
// the one of the resource's kind.
func relativeName(name string) (string, error) {
	rel := name
	host := ""
	if rest, ok := strings.CutPrefix(name, "//"); ok {
		host, rel, _ = strings.Cut(rest, "/")
		if host == "storage.googleapis.com" && bucketRE.MatchString(rel) {
			rel = "projects/_/buckets/" + rel
		}
	}
	want, _, ok := bindable(rel)
	if !ok {
		return "", fmt.Errorf("resource %q is not one nhigate binds on (a project, folder, organization, bucket, dataset, topic, subscription, secret, service account, repository, key ring or key)", name)
	}
	if host != "" && host != want {
		return "", fmt.Errorf("resource %q: %s is not the service of %s", name, host, rel)
	}
	return rel, nil
}

// objectPrefix reads a resource pattern nhigate renders as a condition on a
// bucket: projects/_/buckets/B/objects/PREFIX*, with the only wildcard the
// final '*'. It returns the bucket and the prefix resource.name must start
// with.
func objectPrefix(r string) (bucket, prefix string, ok bool) {
	rest, ok := strings.CutPrefix(r, "projects/_/buckets/")
	if !ok || !strings.HasSuffix(r, "*") {
		return "", "", false
	}
	b, obj, ok := strings.Cut(rest, "/")
	if !ok || !bucketRE.MatchString(b) {
		return "", "", false
	}
	prefix = strings.TrimSuffix(r, "*")
	if strings.ContainsAny(prefix, "*?\"\\") || !strings.HasPrefix(obj, "objects/") {
		return "", "", false
	}
	return "projects/_/buckets/" + b, prefix, true
}

// bounded is a pattern with its length bounds checked apart: a counted
// repetition such as {0,999} compiles into a program of a thousand states,
// which every process start would pay for.
type bounded struct {
	re       *regexp.Regexp
	min, max int
}

func lengthBounded(re *regexp.Regexp, min, max int) bounded { return bounded{re, min, max} }

// MatchString reports whether s is between the bounds and matches.
func (b bounded) MatchString(s string) bool {
	return len(s) >= b.min && len(s) <= b.max && b.re.MatchString(s)
}
