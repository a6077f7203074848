//go:build unix

package source

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// ownedByUs refuses a cache file that another user owns, or that others
// may write: whoever can write it decides which files a review skips.
func ownedByUs(fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return errors.New("cannot tell who owns it")
	}
	if int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("owned by uid %d, not %d", st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("writable by others (mode %v)", fi.Mode().Perm())
	}
	return nil
}
