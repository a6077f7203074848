//go:build unix

package source

import (
	"os"
	"syscall"
)

// mapFile maps the size bytes Stat gave for f, read-only and for the life
// of the process: the pages of the kernel's cache, without a copy. Writers replace the file by rename, so the mapped one
// never changes under an honest writer; its owner can change it, as it can
// change the file before it is read (see ScanCache).
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size == 0 || int64(int(size)) != size {
		return readFile(f, size)
	}
	return syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
}
