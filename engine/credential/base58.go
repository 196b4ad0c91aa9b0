package credential

import (
	"errors"
	"fmt"
)

// base58btc is the Bitcoin alphabet, multibase prefix 'z'.
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// maxBase58Len bounds what decodeBase58 accepts: the quadratic algorithm is
// fine for keys (48 characters) and signatures (88), not for megabytes.
const maxBase58Len = 256

var base58Index = func() (idx [256]int8) {
	for i := range idx {
		idx[i] = -1
	}
	for i := range len(base58Alphabet) {
		idx[base58Alphabet[i]] = int8(i)
	}
	return idx
}()

// encodeBase58 encodes b in base58btc (no multibase prefix). Each leading
// zero byte becomes a leading '1'.
func encodeBase58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	// log(256)/log(58) < 1.37
	digits := make([]byte, 0, len(b)*137/100+1)
	for _, c := range b[zeros:] {
		carry := int(c)
		for i := range digits {
			carry += int(digits[i]) << 8
			digits[i] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits = append(digits, byte(carry%58))
			carry /= 58
		}
	}
	out := make([]byte, zeros, zeros+len(digits))
	for i := range out {
		out[i] = '1'
	}
	for i := len(digits) - 1; i >= 0; i-- {
		out = append(out, base58Alphabet[digits[i]])
	}
	return string(out)
}

var errBase58 = errors.New("invalid base58btc")

// decodeBase58 decodes base58btc text (no multibase prefix) of at most
// maxBase58Len characters.
func decodeBase58(s string) ([]byte, error) {
	if len(s) > maxBase58Len {
		return nil, fmt.Errorf("%d characters, want at most %d: %w", len(s), maxBase58Len, errBase58)
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// log(58)/log(256) < 0.74
	b := make([]byte, 0, len(s)*74/100+1) // little-endian
	for i := zeros; i < len(s); i++ {
		v := base58Index[s[i]]
		if v < 0 {
			return nil, fmt.Errorf("character %q at %d: %w", s[i], i, errBase58)
		}
		carry := int(v)
		for j := range b {
			carry += int(b[j]) * 58
			b[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			b = append(b, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros, zeros+len(b))
	for i := len(b) - 1; i >= 0; i-- {
		out = append(out, b[i])
	}
	return out, nil
}
