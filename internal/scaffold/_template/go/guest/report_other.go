//go:build !wasip1

package guest

// reportError has nowhere to go natively: Run returns the error itself.
func reportError(error) {}
