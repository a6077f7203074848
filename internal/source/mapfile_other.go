//go:build !unix

package source

import "os"

// mapFile reads f where files are not mapped.
func mapFile(f *os.File, size int64) ([]byte, error) { return readFile(f, size) }
