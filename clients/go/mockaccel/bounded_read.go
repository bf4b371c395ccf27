package mockaccel

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// sysfsMaxBytes is PAGE_SIZE: the most a sysfs show() can return.
const sysfsMaxBytes = 4096

// readBounded reads a sysfs file without trusting the tree, as the TypeScript client does: a
// sysfs attribute is a regular file of at most one page, so anything else is refused before it
// is read in full. A FIFO in its place fails at once with EINVAL (the open does not wait for a
// writer: O_NONBLOCK) instead of blocking os.ReadFile for ever, a file longer than a page fails
// with EFBIG instead of being read whole, and a symlink as the last component is not followed.
// Errors are *fs.PathError, so errors.Is(err, fs.ErrNotExist) works as with os.ReadFile.
func readBounded(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EINVAL}
	}
	buf := make([]byte, sysfsMaxBytes+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if n > sysfsMaxBytes {
		return nil, &fs.PathError{Op: "read", Path: path, Err: syscall.EFBIG}
	}
	return buf[:n], nil
}
