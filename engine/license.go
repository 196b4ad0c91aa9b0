package engine

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLicenseLength bounds SubmitRequest.License, in bytes.
const MaxLicenseLength = 200

// checkLicense checks SubmitRequest.License.
func checkLicense(l string) error {
	if len(l) > MaxLicenseLength {
		return fmt.Errorf("license: %d bytes, more than %d: %w", len(l), MaxLicenseLength, ErrBadRequest)
	}
	if !utf8.ValidString(l) || strings.IndexFunc(l, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("license %.40q: not printable text: %w", l, ErrBadRequest)
	}
	return nil
}
