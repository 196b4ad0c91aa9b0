//go:build unix

package main

import "syscall"

// processGone reports whether no process has pid (one that exists but is
// another user's is not gone).
func processGone(pid int) bool { return syscall.Kill(pid, 0) == syscall.ESRCH }
