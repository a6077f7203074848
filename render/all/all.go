// Package all lists every render target and import source, in the order
// help text shows them.
package all

import (
	"github.com/nhigate/nhigate/render"
	"github.com/nhigate/nhigate/render/kubernetes"
	"github.com/nhigate/nhigate/render/vault"
)

// Targets are the targets of nhigate render.
func Targets() []render.Target {
	return []render.Target{
		kubernetes.Target,
		vault.Target,
	}
}

// Sources are the sources of nhigate import.
func Sources() []render.Source {
	return []render.Source{
		kubernetes.Source,
		vault.Source,
	}
}
