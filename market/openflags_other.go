//go:build !unix

package market

// openMemberFlags: elsewhere, the Lstat and Stat checks of readBounded
// stand alone.
const openMemberFlags = 0
