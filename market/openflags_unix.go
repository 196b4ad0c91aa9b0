//go:build unix

package market

import "syscall"

// openMemberFlags open a bundle member without blocking (a FIFO would wait
// for a writer) and without following a final symbolic link.
const openMemberFlags = syscall.O_NONBLOCK | syscall.O_NOFOLLOW
