// Package all lists every render target and import source, in the order
// help text shows them.
package all

import (
	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/aws"
	"github.com/nhigate/nhigate/render/gcp"
	"github.com/nhigate/nhigate/render/github"
	"github.com/nhigate/nhigate/render/kubernetes"
	"github.com/nhigate/nhigate/render/vault"
)

// Targets are the targets of nhigate render.
func Targets() []render.Target {
	return []render.Target{
		aws.Target,
		gcp.Target,
		kubernetes.Target,
		vault.Target,
		github.Target,
	}
}

// Sources are the sources of nhigate import.
func Sources() []render.Source {
	return []render.Source{
		aws.Source,
		gcp.Source,
		kubernetes.Source,
		vault.Source,
		github.Source,
	}
}
