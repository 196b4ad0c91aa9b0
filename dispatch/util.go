package dispatch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
